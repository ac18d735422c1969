#pragma once
// The import's threads (analysis/import_pipeline.cpp): conversion workers that turn features
// into records ahead of the import loop, and the one thread that writes them into the store.
// What runs once per feature (insert, add, drain) stays inline here.
#include "landclear/analysis/detail/import_convert.hpp"
#include "landclear/store/store.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <ogrsf_frmts.h>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace landclear::import_detail {

// Writes a layer's records (and findings) on a second thread while this one reads and converts
// the next features, so OGR/GEOS and SQLite each have a core. Until finish() the writer is the
// only user of the store. finish() waits for it and rethrows what it threw; destroying the
// inserter unfinished (an exception on the way up) drops what is queued and waits, after which
// the caller's store rolls back as usual. With threaded = false everything is written at once.
class LayerInserter {
public:
    using WriteFn = std::function<void(const Record&)>;
    LayerInserter(Store& store, LayerKind kind, bool threaded, WriteFn write)
        : m_store(store), m_kind(kind), m_write(std::move(write)) {
        if (threaded)
            m_thread = std::thread([this] { run(); });
    }
    ~LayerInserter();
    LayerInserter(const LayerInserter&) = delete;
    LayerInserter& operator=(const LayerInserter&) = delete;

    void insert(Record&& record) {
        if (!m_thread.joinable())
            return m_write(record);
        if (m_batch.records.capacity() == 0)
            take_spare(m_batch.records);
        m_batch.records.push_back(std::move(record));
        if (m_batch.records.size() >= batch_size)
            flush();
    }
    void add_finding(const Finding& finding) {
        if (!m_thread.joinable())
            return m_store.add_finding(finding);
        m_batch.findings.push_back(finding);
    }
    void finish();

private:
    static constexpr size_t batch_size = 512;
    static constexpr size_t max_queued = 16; // bounds the memory held by the queue

    struct Batch {
        std::vector<Record> records;
        std::vector<Finding> findings;
    };

    // A batch's vector comes back from the writer for the next batch: allocating 512 records'
    // worth anew each time made glibc consolidate its free lists on every batch.
    void take_spare(std::vector<Record>& records);
    void flush();
    void run();

    Store& m_store;
    LayerKind m_kind;
    WriteFn m_write;
    Batch m_batch; // being filled by the reading thread
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Batch> m_queue;
    std::vector<std::vector<Record>> m_spare; // emptied batches, capacity kept
    bool m_done = false, m_abort = false;
    std::exception_ptr m_error;
    std::thread m_thread;
};

// Converts features on worker threads while the calling thread reads the next ones from OGR
// and hands the converted ones, in the layer's order, to the checks and the writer: the
// conversion (fields, coordinate checks, GEOS validity, area) was half of the reading thread's
// time. Each worker has its own GEOS context, converter and GDAL error scope; features are
// taken in batches, at most max_queued batches ahead of the reader, so memory stays bounded.
// Destroying the pool unfinished (an exception on the way up) stops and joins the workers.
class ConversionPool {
public:
    struct Converted {
        std::int64_t fid = -1;
        Record record;
        std::optional<std::string> repaired;
        std::exception_ptr error; // what convert() threw (the record holds what it had filled)
    };
    using MakeConverter = std::function<std::unique_ptr<FeatureConverter>(const Geos&)>;
    using Encode = std::function<void(Record&)>; // the store's encoding (Store::encode_geometry)

    ConversionPool(MakeConverter make, Encode encode);
    ~ConversionPool() { stop(); }
    ConversionPool(const ConversionPool&) = delete;
    ConversionPool& operator=(const ConversionPool&) = delete;

    void add(OGRFeatureUniquePtr feature) {
        m_filling.push_back(std::move(feature));
        if (m_filling.size() >= batch_size)
            submit();
    }

    // Hands every converted feature of the finished batches at the front to take(), in order;
    // waits while too many batches are queued, or (all) until every batch is converted.
    template <class Take> void drain(bool all, Take&& take) {
        if (all)
            submit();
        while (true) {
            std::unique_ptr<Job> job;
            {
                std::unique_lock lock(m_mutex);
                if (m_jobs.empty())
                    return;
                bool must_wait = all || m_jobs.size() > max_queued;
                if (!m_jobs.front()->done) {
                    if (!must_wait)
                        return;
                    m_changed.wait(lock, [&] { return m_jobs.front()->done; });
                }
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            take(job->out);
            recycle(std::move(job));
        }
    }

    // After drain(true): stops the workers; returns the GDAL failures they captured.
    std::string finish();

private:
    static constexpr size_t batch_size = 256;
    static constexpr size_t max_queued = 16;

    struct Job {
        std::vector<OGRFeatureUniquePtr> features;
        std::vector<Converted> out;
        bool taken = false, done = false;
    };

    // Jobs are reused with their vectors' capacity (see LayerInserter::take_spare).
    void submit();
    void recycle(std::unique_ptr<Job> job);
    void stop();
    void run(unsigned w, const MakeConverter& make);
    Job* next_free();

    std::vector<OGRFeatureUniquePtr> m_filling; // the batch being read
    std::vector<std::unique_ptr<Job>> m_spare;  // handed back by drain(), reading thread only
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::unique_ptr<Job>> m_jobs; // in reading order
    bool m_stop = false, m_publish = false;
    std::vector<std::string> m_errors;
    Encode m_encode;
    std::vector<std::thread> m_workers;
};

} // namespace landclear::import_detail
