// The registry of the hosted machine's NICs, in --nic order.
#include "devices/nics.h"

#include <memory>
#include <vector>

#include "devices/capture_nic.h"
#include "devices/io_thread.h"
#include "devices/pcap_nic.h"
#include "devices/slirp_nic.h"
#include "devices/tap_nic.h"
#include "hal/devices.h"

namespace hal_posix {

namespace {

std::vector<hal::NetDevice*> attached;
std::vector<std::unique_ptr<TapNic>> opened;
std::vector<std::unique_ptr<SlirpNic>> user_networks;
std::vector<std::unique_ptr<PcapNic>> live_interfaces;
std::unique_ptr<CaptureNic> capture;

}  // namespace

bool attach_nics(const MachineConfig& config, std::string* error) {
    detach_nics();
    for (const NicConfig& nic : config.nics) {
        if (nic.device != nullptr) {
            attached.push_back(nic.device);
            continue;
        }
        if (nic.user) {
            std::unique_ptr<SlirpNic> user = SlirpNic::open(nic.user_config, error);
            if (user == nullptr) {
                detach_nics();
                return false;
            }
            attached.push_back(user.get());
            user_networks.push_back(std::move(user));
            continue;
        }
        if (!nic.pcap.empty()) {
            std::unique_ptr<PcapNic> live = PcapNic::open(nic.pcap, error);
            if (live == nullptr) {
                detach_nics();
                return false;
            }
            attached.push_back(live.get());
            live_interfaces.push_back(std::move(live));
            continue;
        }
        std::unique_ptr<TapNic> tap = TapNic::open(nic.tap, nic.tap_offload, error);
        if (tap == nullptr) {
            detach_nics();
            return false;
        }
        attached.push_back(tap.get());
        opened.push_back(std::move(tap));
    }
    if (!config.capture_path.empty()) {
        if (attached.empty()) {
            *error = "--capture needs a NIC (--nic)";
            return false;
        }
        capture = CaptureNic::open(*attached[0], config.capture_path, error);
        if (capture == nullptr) {
            detach_nics();
            return false;
        }
        attached[0] = capture.get();
    }
    return true;
}

void detach_nics() {
    stop_io_thread();
    attached.clear();
    capture.reset();  // flushes the file
    user_networks.clear();
    live_interfaces.clear();
    opened.clear();
    release_io_context();  // after every Asio object of the NICs is gone
}

}  // namespace hal_posix

namespace hal {

std::size_t net_device_count() { return hal_posix::attached.size(); }

NetDevice* net_device(std::size_t index) {
    return index < hal_posix::attached.size() ? hal_posix::attached[index] : nullptr;
}

}  // namespace hal
