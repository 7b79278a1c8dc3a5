#include "faulty_disk.h"

#include <chrono>
#include <cstring>

namespace toro_test {

FaultyDisk::FaultyDisk(std::vector<std::uint8_t>* medium)
    : medium_(medium), responder_([this] { answer_later(); }) {}

FaultyDisk::~FaultyDisk() {
    {
        std::lock_guard<std::mutex> guard(lock_);
        stopping_ = true;
    }
    pending_changed_.notify_all();
    responder_.join();
}

bool FaultyDisk::Range::touches(const hal::BlockRequest& request) const {
    return count != 0 && request.first_sector < first + count &&
           first < request.first_sector + request.sector_count;
}

void FaultyDisk::fail_reads(std::uint64_t first, std::uint64_t count) {
    std::lock_guard<std::mutex> guard(lock_);
    bad_reads_ = {first, count};
}

void FaultyDisk::fail_writes(std::uint64_t first, std::uint64_t count) {
    std::lock_guard<std::mutex> guard(lock_);
    bad_writes_ = {first, count};
}

void FaultyDisk::answer(Answer how, unsigned delay_ms) {
    std::lock_guard<std::mutex> guard(lock_);
    answer_ = how;
    delay_ms_ = delay_ms;
}

std::vector<FaultyDisk::SectorRun> FaultyDisk::writes() const {
    std::lock_guard<std::mutex> guard(lock_);
    return writes_;
}

unsigned FaultyDisk::requests() const {
    std::lock_guard<std::mutex> guard(lock_);
    return requests_;
}

unsigned FaultyDisk::cancels() const {
    std::lock_guard<std::mutex> guard(lock_);
    return cancels_;
}

unsigned FaultyDisk::failures() const {
    std::lock_guard<std::mutex> guard(lock_);
    return failures_;
}

hal::DeviceStatus FaultyDisk::submit(hal::BlockRequest* request) {
    using Operation = hal::BlockRequest::Operation;
    if (request->operation != Operation::kFlush) {
        if (request->sector_count == 0 || request->sector_count > max_sectors_per_request() ||
            request->buffer == nullptr) {
            return hal::DeviceStatus::kInvalid;
        }
        if (request->first_sector > sector_count() ||
            request->sector_count > sector_count() - request->first_sector) {
            return hal::DeviceStatus::kOutOfRange;
        }
    }
    std::lock_guard<std::mutex> guard(lock_);
    ++requests_;
    if (pending_ != nullptr) return hal::DeviceStatus::kInvalid;  // the kernel broke the contract
    if (answer_ == Answer::kAtOnce) {
        finish(request);
    } else {
        pending_ = request;
        ++serial_;
        pending_changed_.notify_all();
    }
    return hal::DeviceStatus::kOk;
}

bool FaultyDisk::cancel(hal::BlockRequest* request) {
    std::lock_guard<std::mutex> guard(lock_);
    if (pending_ != request) return false;  // already completed
    pending_ = nullptr;
    ++cancels_;
    pending_changed_.notify_all();
    return true;
}

hal::DeviceStatus FaultyDisk::perform(const hal::BlockRequest& request) {
    using Operation = hal::BlockRequest::Operation;
    if (request.operation == Operation::kFlush) return hal::DeviceStatus::kOk;
    bool read = request.operation == Operation::kRead;
    if ((read ? bad_reads_ : bad_writes_).touches(request)) {
        ++failures_;
        return hal::DeviceStatus::kIoError;
    }
    std::uint8_t* sectors = medium_->data() + request.first_sector * 512;
    std::size_t length = request.sector_count * 512;
    if (read) {
        std::memcpy(request.buffer, sectors, length);
    } else {
        std::memcpy(sectors, request.buffer, length);
        writes_.push_back({request.first_sector, request.sector_count});
    }
    return hal::DeviceStatus::kOk;
}

void FaultyDisk::finish(hal::BlockRequest* request) {
    request->status = perform(*request);
    hal::EventId event = request->completion_event;
    request->completed.store(true, std::memory_order_release);
    hal::event_raise(event);
}

// The responder thread: completes a pending request `delay_ms_` after it
// arrived, unless the answer is kNever or the kernel withdrew it first.
void FaultyDisk::answer_later() {
    std::unique_lock<std::mutex> guard(lock_);
    while (!stopping_) {
        pending_changed_.wait(guard, [this] { return stopping_ || pending_ != nullptr; });
        if (stopping_) break;
        std::uint64_t serial = serial_;
        auto withdrawn = [&] { return stopping_ || serial_ != serial || pending_ == nullptr; };
        if (answer_ == Answer::kNever) {
            pending_changed_.wait(guard, withdrawn);
            continue;
        }
        auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms_);
        if (pending_changed_.wait_until(guard, due, withdrawn)) continue;
        hal::BlockRequest* request = pending_;
        pending_ = nullptr;
        finish(request);
    }
}

}  // namespace toro_test
