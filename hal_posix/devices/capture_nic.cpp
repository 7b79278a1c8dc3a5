#include "devices/capture_nic.h"

#include <sys/time.h>

#include <cstring>

namespace hal_posix {

std::unique_ptr<CaptureNic> CaptureNic::open(hal::NetDevice& inner, const std::string& path,
                                             std::string* error) {
    pcap_t* handle = pcap_open_dead(DLT_EN10MB, 65535);
    if (handle == nullptr) {
        *error = "--capture " + path + ": libpcap cannot make a writer";
        return nullptr;
    }
    pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
    if (dumper == nullptr) {
        *error = "--capture " + path + ": " + pcap_geterr(handle);
        pcap_close(handle);
        return nullptr;
    }
    return std::make_unique<CaptureNic>(inner, handle, dumper);
}

CaptureNic::CaptureNic(hal::NetDevice& inner, pcap_t* handle, pcap_dumper_t* dumper)
    : inner_(inner), handle_(handle), dumper_(dumper) {}

CaptureNic::~CaptureNic() {
    std::lock_guard<std::mutex> lock(mutex_);
    pcap_dump_close(dumper_);
    pcap_close(handle_);
}

void CaptureNic::write(const std::uint8_t* bytes, std::size_t length) {
    pcap_pkthdr header{};
    gettimeofday(&header.ts, nullptr);
    header.caplen = header.len = static_cast<bpf_u_int32>(length);
    std::lock_guard<std::mutex> lock(mutex_);
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, bytes);
    unflushed_ = true;
}

hal::DeviceStatus CaptureNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    hal::DeviceStatus status = inner_.transmit(pieces, count);
    if (status != hal::DeviceStatus::kOk) return status;  // not on the wire
    std::uint8_t frame[2048];
    std::size_t length = 0;
    for (std::size_t i = 0; i < count && length + pieces[i].length <= sizeof frame; ++i) {
        std::memcpy(frame + length, pieces[i].bytes, pieces[i].length);
        length += pieces[i].length;
    }
    write(frame, length);
    return status;
}

hal::DeviceStatus CaptureNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                      std::size_t* length) {
    hal::DeviceStatus status = inner_.receive(buffer, capacity, length);
    if (status == hal::DeviceStatus::kOk) write(buffer, *length);
    if (status == hal::DeviceStatus::kWouldBlock) {
        // The link is idle: what was captured reaches the file now, so a
        // process killed later (Ctrl-C) leaves a whole capture behind.
        std::lock_guard<std::mutex> lock(mutex_);
        if (unflushed_) pcap_dump_flush(dumper_);
        unflushed_ = false;
    }
    return status;
}

}  // namespace hal_posix
