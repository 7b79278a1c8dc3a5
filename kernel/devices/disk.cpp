// Disks: the kernel side of hal::BlockDevice. One request is in flight per
// device (the Disk's mutex), and the calling thread sleeps on an Event that
// the device's completion event signals on the caller's CPU, for at most
// the request timeout: a device that never answers costs an error, not a
// thread.
#include "toro/disk.h"

#include "hal/boot.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/devices.h"
#include "toro/boot_epoch.h"
#include "toro/event.h"
#include "toro/memory.h"
#include "toro/mutex.h"
#include "toro/print.h"
#include "toro/spinlock.h"
#include "toro/thread.h"

namespace toro {

struct Disk::State {
    Mutex mutex;
    Event completed;
    std::uint64_t request_timeout_ns = kDefaultRequestTimeout;
    // Completion events, bound lazily on the CPU that first waits there.
    hal::EventId completion_event[hal::kMaxCpus];
};

namespace {

constexpr std::size_t kMaxDisks = 16;

SpinLock disks_lock;
Disk* disks[kMaxDisks];
std::uint64_t disks_epoch = 0;  // the boot the table belongs to

void signal_completion(void* argument) { static_cast<Event*>(argument)->signal(); }

Error error_of(hal::DeviceStatus status) {
    switch (status) {
        case hal::DeviceStatus::kOk: return Error::kOk;
        case hal::DeviceStatus::kReadOnly: return Error::kReadOnly;
        case hal::DeviceStatus::kOutOfRange: return Error::kRange;
        case hal::DeviceStatus::kInvalid: return Error::kInvalid;
        case hal::DeviceStatus::kWouldBlock:
        case hal::DeviceStatus::kIoError: break;
    }
    return Error::kIo;
}

}  // namespace

std::size_t disk_count() {
    std::size_t count = hal::block_device_count();
    return count < kMaxDisks ? count : kMaxDisks;
}

Disk* disk(std::size_t index) {
    if (index >= disk_count()) return nullptr;
    SpinLockGuard guard(disks_lock);
    if (disks_epoch != boot_epoch()) {
        for (Disk*& stale : disks) stale = nullptr;  // the last machine's memory is gone
        disks_epoch = boot_epoch();
    }
    if (disks[index] == nullptr) {
        Disk* created = make<Disk>();
        Disk::State* state = make<Disk::State>();
        if (created == nullptr || state == nullptr) {
            destroy(created);
            destroy(state);
            return nullptr;
        }
        for (hal::EventId& event : state->completion_event) event = hal::kNoEvent;
        created->device_ = hal::block_device(index);
        created->state_ = state;
        disks[index] = created;
    }
    return disks[index];
}

void Disk::set_request_timeout(std::uint64_t nanoseconds) {
    MutexGuard guard(state_->mutex);
    state_->request_timeout_ns = nanoseconds;
}

// Sleeps until `request` completes. A device that has not answered by the
// deadline is asked to withdraw the request; false when it did (the
// request then never completes and the caller's buffer is free again).
bool Disk::await(hal::BlockRequest* request) {
    std::uint64_t deadline = hal::deadline_after(state_->request_timeout_ns);
    while (!request->completed.load(std::memory_order_acquire)) {
        if (state_->completed.wait_until(deadline)) continue;
        if (request->completed.load(std::memory_order_acquire)) break;
        if (device_->cancel(request)) {
            print("toro: disk %s: no answer in %llu ms; request withdrawn\n", device_->name(),
                  static_cast<unsigned long long>(state_->request_timeout_ns / 1000000));
            return false;
        }
        deadline = hal::kNoDeadline;  // it completes by itself (hal::BlockDevice::cancel)
    }
    return true;
}

const char* Disk::name() const { return device_->name(); }
std::size_t Disk::sector_size() const { return device_->sector_size(); }
std::uint64_t Disk::sector_count() const { return device_->sector_count(); }
bool Disk::read_only() const { return device_->read_only(); }

Error Disk::read(std::uint64_t first_sector, std::size_t count, void* buffer) {
    return transfer(static_cast<int>(hal::BlockRequest::Operation::kRead), first_sector, count,
                    buffer);
}

Error Disk::write(std::uint64_t first_sector, std::size_t count, const void* buffer) {
    if (device_->read_only()) return Error::kReadOnly;
    return transfer(static_cast<int>(hal::BlockRequest::Operation::kWrite), first_sector, count,
                    const_cast<void*>(buffer));
}

Error Disk::flush() {
    return transfer(static_cast<int>(hal::BlockRequest::Operation::kFlush), 0, 0, nullptr);
}

// Splits the transfer into requests the device accepts and runs them one by
// one, sleeping until each completes.
Error Disk::transfer(int operation, std::uint64_t first_sector, std::size_t count, void* buffer) {
    auto kind = static_cast<hal::BlockRequest::Operation>(operation);
    bool is_flush = kind == hal::BlockRequest::Operation::kFlush;
    if (!is_flush) {
        if (count == 0) return Error::kOk;
        if (reinterpret_cast<std::uintptr_t>(buffer) % 16 != 0) return Error::kInvalid;
        std::uint64_t total = device_->sector_count();
        if (first_sector > total || count > total - first_sector) return Error::kRange;
    }
    MutexGuard guard(state_->mutex);
    unsigned cpu = hal::cpu_current();
    if (state_->completion_event[cpu] == hal::kNoEvent) {
        state_->completion_event[cpu] = hal::event_bind(cpu, signal_completion, &state_->completed);
        if (state_->completion_event[cpu] == hal::kNoEvent) return Error::kNoMemory;
    }
    auto* bytes = static_cast<std::uint8_t*>(buffer);
    std::size_t per_request = device_->max_sectors_per_request();
    do {
        std::size_t chunk = count < per_request ? count : per_request;
        hal::BlockRequest request;
        request.operation = kind;
        request.first_sector = first_sector;
        request.sector_count = is_flush ? 0 : chunk;
        request.buffer = bytes;
        request.completion_event = state_->completion_event[cpu];
        hal::DeviceStatus accepted = device_->submit(&request);
        if (accepted != hal::DeviceStatus::kOk) return error_of(accepted);
        if (!await(&request)) return Error::kIo;
        if (request.status != hal::DeviceStatus::kOk) return error_of(request.status);
        if (is_flush) break;
        first_sector += chunk;
        count -= chunk;
        bytes += chunk * device_->sector_size();
    } while (count > 0);
    return Error::kOk;
}

}  // namespace toro
