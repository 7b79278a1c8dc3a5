// Hosted block devices. Requests complete before submit() returns: a file
// disk is one pread/pwrite on the calling CPU's host thread, which the page
// cache makes fast; a memory disk is a memcpy. Either way the completion
// event is still raised, so the kernel's waiting path is the same as for a
// device that completes later.
#include "devices/disks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hal_posix {

namespace {

constexpr std::size_t kSectorSize = 512;
constexpr std::size_t kMaxSectorsPerRequest = 2048;  // 1 MiB

class HostedDisk : public hal::BlockDevice {
public:
    HostedDisk(std::string name, std::uint64_t sectors, bool read_only)
        : name_(std::move(name)), sectors_(sectors), read_only_(read_only) {}
    virtual ~HostedDisk() = default;

    const char* name() const override { return name_.c_str(); }
    std::size_t sector_size() const override { return kSectorSize; }
    std::uint64_t sector_count() const override { return sectors_; }
    bool read_only() const override { return read_only_; }
    std::size_t max_sectors_per_request() const override { return kMaxSectorsPerRequest; }

    hal::DeviceStatus submit(hal::BlockRequest* request) override {
        using Operation = hal::BlockRequest::Operation;
        if (request->operation != Operation::kFlush) {
            if (request->sector_count == 0 || request->sector_count > kMaxSectorsPerRequest ||
                request->buffer == nullptr) {
                return hal::DeviceStatus::kInvalid;
            }
            if (request->first_sector > sectors_ ||
                request->sector_count > sectors_ - request->first_sector) {
                return hal::DeviceStatus::kOutOfRange;
            }
        }
        if (request->operation == Operation::kWrite && read_only_) return hal::DeviceStatus::kReadOnly;
        request->status = perform(*request);
        request->completed.store(true, std::memory_order_release);
        hal::event_raise(request->completion_event);
        return hal::DeviceStatus::kOk;
    }

    // Every request has completed by the time submit returns.
    bool cancel(hal::BlockRequest*) override { return false; }

protected:
    virtual hal::DeviceStatus perform(const hal::BlockRequest& request) = 0;

private:
    std::string name_;
    std::uint64_t sectors_;
    bool read_only_;
};

class FileDisk final : public HostedDisk {
public:
    FileDisk(std::string name, int fd, std::uint64_t sectors, bool read_only)
        : HostedDisk(std::move(name), sectors, read_only), fd_(fd) {}
    ~FileDisk() override { close(fd_); }

private:
    hal::DeviceStatus perform(const hal::BlockRequest& request) override {
        using Operation = hal::BlockRequest::Operation;
        if (request.operation == Operation::kFlush) {
            return fdatasync(fd_) == 0 || errno == EINVAL ? hal::DeviceStatus::kOk
                                                          : hal::DeviceStatus::kIoError;
        }
        std::size_t length = request.sector_count * kSectorSize;
        off_t offset = static_cast<off_t>(request.first_sector * kSectorSize);
        std::size_t done = 0;
        while (done < length) {
            ssize_t moved = request.operation == Operation::kRead
                                ? pread(fd_, request.buffer + done, length - done, offset + done)
                                : pwrite(fd_, request.buffer + done, length - done, offset + done);
            if (moved < 0 && errno == EINTR) continue;
            if (moved < 0) return hal::DeviceStatus::kIoError;
            if (moved == 0) {  // the file shrank under us: past its end reads as an error
                return hal::DeviceStatus::kIoError;
            }
            done += static_cast<std::size_t>(moved);
        }
        return hal::DeviceStatus::kOk;
    }

    int fd_;
};

class MemoryDisk final : public HostedDisk {
public:
    MemoryDisk(std::string name, std::vector<std::uint8_t>* bytes, bool read_only)
        : HostedDisk(std::move(name), bytes->size() / kSectorSize, read_only), bytes_(bytes) {}

private:
    hal::DeviceStatus perform(const hal::BlockRequest& request) override {
        using Operation = hal::BlockRequest::Operation;
        if (request.operation == Operation::kFlush) return hal::DeviceStatus::kOk;
        std::uint8_t* medium = bytes_->data() + request.first_sector * kSectorSize;
        std::size_t length = request.sector_count * kSectorSize;
        if (request.operation == Operation::kRead) {
            std::memcpy(request.buffer, medium, length);
        } else {
            std::memcpy(medium, request.buffer, length);
        }
        return hal::DeviceStatus::kOk;
    }

    std::vector<std::uint8_t>* bytes_;
};

// The machine's disks in order, and those of them this file opened.
std::vector<hal::BlockDevice*> attached;
std::vector<std::unique_ptr<HostedDisk>> opened;

std::unique_ptr<HostedDisk> open_file_disk(const DiskConfig& disk, const std::string& name,
                                           std::string* error) {
    int fd = open(disk.path.c_str(), (disk.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        *error = "--disk " + disk.path + ": " + std::strerror(errno);
        return nullptr;
    }
    struct stat status {};
    if (fstat(fd, &status) != 0 || !(S_ISREG(status.st_mode) || S_ISBLK(status.st_mode))) {
        *error = "--disk " + disk.path + ": not a regular file or block device";
        close(fd);
        return nullptr;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) size = 0;
    // A partial last sector is not addressable; say so rather than hide it.
    if (size % static_cast<off_t>(kSectorSize) != 0) {
        std::fprintf(stderr, "toro: --disk %s: size is not a multiple of %zu; the last %lld bytes are ignored\n",
                     disk.path.c_str(), kSectorSize,
                     static_cast<long long>(size % static_cast<off_t>(kSectorSize)));
    }
    return std::make_unique<FileDisk>(name, fd, static_cast<std::uint64_t>(size) / kSectorSize,
                                      disk.read_only);
}

}  // namespace

bool attach_disks(const MachineConfig& config, std::string* error) {
    detach_disks();
    for (const DiskConfig& disk : config.disks) {
        if (disk.device != nullptr) {
            attached.push_back(disk.device);
            continue;
        }
        std::string name = "disk" + std::to_string(attached.size());
        std::unique_ptr<HostedDisk> device;
        if (disk.memory != nullptr) {
            device = std::make_unique<MemoryDisk>(name, disk.memory, disk.read_only);
        } else {
            device = open_file_disk(disk, name, error);
        }
        if (device == nullptr) {
            detach_disks();
            return false;
        }
        attached.push_back(device.get());
        opened.push_back(std::move(device));
    }
    return true;
}

void detach_disks() {
    attached.clear();
    opened.clear();
}

}  // namespace hal_posix

namespace hal {

std::size_t block_device_count() { return hal_posix::attached.size(); }

BlockDevice* block_device(std::size_t index) {
    return index < hal_posix::attached.size() ? hal_posix::attached[index] : nullptr;
}

}  // namespace hal
