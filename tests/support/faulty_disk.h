// A disk that misbehaves on purpose, for tests of the paths real disks
// rarely take: a medium error on chosen sectors, an answer that comes late
// from another thread (as an interrupt would), and no answer at all. It
// keeps its sectors in a host buffer, like the hosted memory disk, and is
// attached through hal_posix::DiskConfig::device.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hal/devices.h"

namespace toro_test {

class FaultyDisk final : public hal::BlockDevice {
public:
    // `medium` (a multiple of 512 bytes) is owned by the caller.
    explicit FaultyDisk(std::vector<std::uint8_t>* medium);
    ~FaultyDisk();

    enum class Answer {
        kAtOnce,   // completes inside submit, as file disks do
        kLater,    // completes from another thread after `delay_ms`
        kNever,    // never completes: only cancel ends it
    };

    // Reads (or writes) touching [first, first + count) complete with
    // kIoError and move no data; count 0 clears the fault.
    void fail_reads(std::uint64_t first, std::uint64_t count);
    void fail_writes(std::uint64_t first, std::uint64_t count);
    void answer(Answer how, unsigned delay_ms = 0);

    // What the kernel did to it.
    struct SectorRun {
        std::uint64_t first = 0, count = 0;
        bool operator==(const SectorRun&) const = default;
    };
    std::vector<SectorRun> writes() const;  // the writes that reached the medium, in order
    unsigned requests() const;
    unsigned cancels() const;
    unsigned failures() const;

    const char* name() const override { return "faulty0"; }
    std::size_t sector_size() const override { return 512; }
    std::uint64_t sector_count() const override { return medium_->size() / 512; }
    bool read_only() const override { return false; }
    std::size_t max_sectors_per_request() const override { return 64; }
    hal::DeviceStatus submit(hal::BlockRequest* request) override;
    bool cancel(hal::BlockRequest* request) override;

private:
    struct Range {
        std::uint64_t first = 0, count = 0;
        bool touches(const hal::BlockRequest& request) const;
    };

    hal::DeviceStatus perform(const hal::BlockRequest& request);
    void finish(hal::BlockRequest* request);  // lock held
    void answer_later();

    std::vector<std::uint8_t>* medium_;
    mutable std::mutex lock_;
    std::condition_variable pending_changed_;
    Range bad_reads_, bad_writes_;
    std::vector<SectorRun> writes_;
    Answer answer_ = Answer::kAtOnce;
    unsigned delay_ms_ = 0;
    hal::BlockRequest* pending_ = nullptr;
    std::uint64_t serial_ = 0;  // counts requests made pending
    unsigned requests_ = 0, cancels_ = 0, failures_ = 0;
    bool stopping_ = false;
    std::thread responder_;
};

}  // namespace toro_test
