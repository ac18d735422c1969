// The import's threads (detail/import_pipeline.hpp): the writing thread's queue and the
// conversion workers.
#include "landclear/analysis/detail/import_pipeline.hpp"

#include "landclear/io/gdal_error.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace landclear::import_detail {

LayerInserter::~LayerInserter() {
    {
        std::lock_guard lock(m_mutex);
        m_abort = true;
    }
    m_changed.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void LayerInserter::finish() {
    if (!m_thread.joinable())
        return;
    flush();
    {
        std::lock_guard lock(m_mutex);
        m_done = true;
    }
    m_changed.notify_all();
    m_thread.join();
    if (m_error)
        std::rethrow_exception(m_error);
}

void LayerInserter::take_spare(std::vector<Record>& records) {
    {
        std::lock_guard lock(m_mutex);
        if (!m_spare.empty()) {
            records = std::move(m_spare.back());
            m_spare.pop_back();
            return;
        }
    }
    records.reserve(batch_size);
}

void LayerInserter::flush() {
    if (m_batch.records.empty() && m_batch.findings.empty())
        return;
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_queue.size() < max_queued || m_error; });
    if (m_error) {
        auto e = m_error;
        lock.unlock();
        std::rethrow_exception(e); // stop reading: the write has failed
    }
    m_queue.push_back(std::move(m_batch));
    m_batch = {};
    lock.unlock();
    m_changed.notify_all();
}

void LayerInserter::run() {
    while (true) {
        Batch b;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return m_abort || m_done || !m_queue.empty(); });
            if (m_abort || m_queue.empty())
                return;
            b = std::move(m_queue.front());
            m_queue.pop_front();
        }
        m_changed.notify_all();
        try {
            for (const auto& f : b.findings)
                m_store.add_finding(f);
            for (const auto& r : b.records)
                m_write(r);
            b.records.clear();
            std::lock_guard lock(m_mutex);
            if (m_spare.size() < max_queued)
                m_spare.push_back(std::move(b.records));
        } catch (...) {
            std::lock_guard lock(m_mutex);
            m_error = std::current_exception();
            m_queue.clear();
            m_changed.notify_all();
            return;
        }
    }
}

ConversionPool::ConversionPool(MakeConverter make, Encode encode) : m_encode(std::move(encode)) {
    unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    m_errors.resize(n);
    for (unsigned w = 0; w < n; ++w)
        m_workers.emplace_back([this, w, make] { run(w, make); });
}

std::string ConversionPool::finish() {
    {
        std::lock_guard lock(m_mutex);
        m_publish = true;
    }
    stop();
    std::string out;
    for (const auto& e : m_errors)
        if (!e.empty())
            out += (out.empty() ? "" : "; ") + e;
    return out;
}

void ConversionPool::submit() {
    if (m_filling.empty())
        return;
    std::unique_ptr<Job> job;
    if (!m_spare.empty()) {
        job = std::move(m_spare.back());
        m_spare.pop_back();
    } else {
        job = std::make_unique<Job>();
    }
    job->taken = job->done = false;
    std::swap(job->features, m_filling);
    m_filling.clear();
    if (m_filling.capacity() == 0)
        m_filling.reserve(batch_size);
    {
        std::lock_guard lock(m_mutex);
        m_jobs.push_back(std::move(job));
    }
    m_changed.notify_all();
}

void ConversionPool::recycle(std::unique_ptr<Job> job) {
    job->out.clear();
    job->features.clear();
    if (m_spare.size() < max_queued)
        m_spare.push_back(std::move(job));
}

void ConversionPool::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    for (auto& t : m_workers)
        if (t.joinable())
            t.join();
}

void ConversionPool::run(unsigned w, const MakeConverter& make) {
    GdalErrorCapture gdal; // this thread's own scope: GDAL keeps one stack per thread
    Geos geos;
    auto converter = make(geos);
    while (true) {
        Job* job = nullptr;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return m_stop || next_free() != nullptr; });
            job = next_free();
            if (!job) {
                if (m_publish)
                    m_errors[w] = gdal.errors();
                return;
            }
            job->taken = true;
        }
        job->out.resize(job->features.size());
        for (size_t i = 0; i < job->features.size(); ++i) {
            auto& c = job->out[i];
            auto& feature = *job->features[i];
            c.fid = feature.GetFID();
            gdal.set_context(fmt::format("feature {}", c.fid));
            try {
                c.repaired = converter->convert(feature, c.record);
                m_encode(c.record);
            } catch (...) {
                c.error = std::current_exception();
            }
            job->features[i].reset(); // freed here, not on the reading thread
        }
        {
            std::lock_guard lock(m_mutex);
            job->done = true;
        }
        m_changed.notify_all();
    }
}

ConversionPool::Job* ConversionPool::next_free() {
    if (m_stop && !m_publish)
        return nullptr; // aborted: leave the rest
    for (auto& j : m_jobs)
        if (!j->taken)
            return j.get();
    return nullptr;
}

} // namespace landclear::import_detail
