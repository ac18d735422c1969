#pragma once
// Private to analysis: what the issue list's files share (issue_list.cpp: the model and its
// rules; issue_store.cpp: the two derived tables and the events; issue_make.cpp: a new issue
// checked against the store; issue_import.cpp: a list kept in Excel).
#include "landclear/analysis/issue_list.hpp"

#include <set>
#include <string>
#include <vector>

namespace landclear::issue_detail {

// A stored value as text (a number or date in its text form).
std::string text_of(const Value& v);

// The number of an id of ours ("WT-0012": 12), 0 for any other id.
int id_number(const std::string& id);
// The next free WT-nnnn after the existing issues and the ids already taken.
std::string next_id(const std::vector<Issue>& existing, const std::set<std::string>& taken);

// The state after every recorded event (whatever day each took effect on).
IssueState latest_state(const Issue& i);

// Appends an event, numbered after the issue's last, recorded now.
void add_event(Issue& i, IssueEventKind kind, const Date& on, std::string old_value,
               std::string new_value, std::string note);

// Writes these issues whole (their row and every event) in one transaction.
void save(Store& store, const std::vector<const Issue*>& issues);

} // namespace landclear::issue_detail
