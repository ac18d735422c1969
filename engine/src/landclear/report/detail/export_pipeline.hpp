#pragma once
// A source's features prepared on a second thread and handed, in batches and in order, to the
// thread that writes them. The writers (export_ogr.cpp, export_shapefile.cpp) spend most of an
// export in GDAL's serialisation, which is one thread's work; reading the store, filling the
// features and reprojecting them run beside it. Same features in the same order, so the file
// is the one a single thread writes.
#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"
#include "landclear/report/detail/export_detail.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace landclear::detail {

// Runs `scan` on a second thread. `make_prepare` is called on that thread first (it makes the
// thread's own state: a PROJ transformation is not for two threads) and returns the function
// that turns each scanned feature into an Item there. `consume` takes the Items on the calling
// thread, in scan order. A failure on either side stops the other and is rethrown here; GDAL
// messages caught on the second thread (its own error scope) are returned for the caller to
// judge, as a writer judges its own.
template <class Item>
std::string scan_beside(const std::function<void(const Sink&)>& scan,
                        const std::function<std::function<Item(const OutFeature&)>()>& make_prepare,
                        const std::function<void(Item&)>& consume) {
    using Batch = std::vector<Item>;
    // 512 features a batch, at most 8 batches queued: a few MB, and the threads meet rarely.
    constexpr std::size_t batch_size = 512, max_batches = 8;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Batch> queue;
    bool done = false, stop = false;
    std::exception_ptr failure;
    std::string producer_errors;
    std::thread producer([&] {
        try {
            GdalErrorCapture capture;
            auto prepare = make_prepare();
            Batch batch;
            batch.reserve(batch_size);
            auto hand_over = [&] {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return stop || queue.size() < max_batches; });
                if (stop)
                    throw_internal("export stopped"); // the writer failed; its error is reported
                queue.push_back(std::move(batch));
                batch = Batch();
                batch.reserve(batch_size);
                changed.notify_all();
            };
            scan([&](const OutFeature& f) {
                batch.push_back(prepare(f));
                if (batch.size() == batch_size)
                    hand_over();
            });
            if (!batch.empty())
                hand_over();
            producer_errors = capture.errors();
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!stop)
                failure = std::current_exception();
        }
        std::lock_guard lock(mutex);
        done = true;
        changed.notify_all();
    });
    try {
        for (;;) {
            Batch batch;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return done || !queue.empty(); });
                if (queue.empty())
                    break;
                batch = std::move(queue.front());
                queue.pop_front();
                changed.notify_all();
            }
            for (auto& item : batch)
                consume(item);
        }
    } catch (...) {
        {
            std::lock_guard lock(mutex);
            stop = true;
            changed.notify_all();
        }
        producer.join();
        throw;
    }
    producer.join();
    if (failure)
        std::rethrow_exception(failure);
    return producer_errors;
}

} // namespace landclear::detail
