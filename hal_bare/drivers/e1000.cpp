// The 82540EM driver: probe, reset and set-up (SDM §14), the legacy
// descriptor rings (SDM §3.2, §3.3), the interrupt (SDM §13.4.17-21), and
// the NIC contract's "interrupt when idle, poll while busy".
//
// Memory: the rings and buffers are the HAL's own, cut from RAM at boot
// (bare::nic_memory); RAM is identity-mapped below 4 GiB, so an address is
// the physical address the device is given. The device reads and writes
// them by DMA, coherent with the CPU's caches on x86; what the driver
// writes before moving a tail register is ordered before that write by
// x86's store order, once the compiler is kept from moving it (fences).
//
// Concurrency: every call but link_up and counters is made on the CPU
// the kernel attached the controller on (hal/devices.h), and the
// interrupt is routed to that CPU, where it is taken only in idle or at a
// scheduling point's window, never inside one of these calls. So the
// rings need no lock; `armed_` is atomic only for a shared line taken on
// another CPU.
#include "drivers/e1000.h"

#include <new>

#include "arch/apic.h"
#include "arch/ioapic.h"
#include "bare.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"

// e1000_stubs.S: saves the caller-saved registers, calls e1000_interrupt,
// EOIs, iretq.
extern "C" void e1000_interrupt_stub();

namespace bare::e1000 {

namespace {

constexpr std::uint64_t kMillisecond = 1000000;  // ns
constexpr std::size_t kMaxControllers = 4;
constexpr std::size_t kBarBytes = 128 * 1024;  // the 82540EM's memory BAR (SDM §4.1)
constexpr std::uint8_t kVector = 0x32;         // after the ATA channels' 0x30, 0x31
// SDM §13.4.1: RST self-clears when the reset is done, within microseconds
// (and the EEPROM is read again); a controller that takes 10 ms is broken.
constexpr std::uint64_t kResetTimeout = 10 * kMillisecond;
constexpr std::uint64_t kEepromTimeout = 10 * kMillisecond;
// A full transmit ring that has not moved: after 100 ms the driver polls
// (it raises its own event, as no interrupt may come), after 1 s it resets.
constexpr std::uint64_t kTransmitSuspect = 100 * kMillisecond;
constexpr std::uint64_t kTransmitTimeout = 1000 * kMillisecond;
constexpr std::uint64_t kRevivalInterval = 1000 * kMillisecond;
// PCI configuration (PCI 3.0 §6.2.2, §6.2.4).
constexpr std::uint8_t kPciCommand = 0x04, kPciInterrupt = 0x3C;
constexpr std::uint16_t kPciInterruptDisable = 1u << 10;
// What ends a wait: a frame, an overrun, the ring running low.
constexpr std::uint32_t kReceiveCauses =
    kIntReceiveTimer | kIntReceiveOverrun | kIntReceiveThreshold;

alignas(Controller) unsigned char controller_storage[kMaxControllers][sizeof(Controller)];
Controller* controllers[kMaxControllers];
std::size_t found_count = 0;
std::atomic<int> probe_state{0};  // 0 not yet, 1 probing, 2 done
bool vector_installed = false;
std::uint64_t frames_until_stall = 0;  // toro.e1000.stall=N, counted down on the first controller

bool is_82540em(const PciFunction& f) {
    return f.vendor_id == kVendorIntel && f.device_id == kDevice82540EM && f.header_type == 0;
}

std::uint64_t address_of(const void* pointer) {
    return reinterpret_cast<std::uintptr_t>(pointer);
}

void spin_for(std::uint64_t nanoseconds) {
    std::uint64_t deadline = hal::deadline_after(nanoseconds);
    while (hal::clock_now_ns() < deadline) asm volatile("pause");
}

// The device writes status last (SDM §3.2.5): once DD is seen, the rest of
// the descriptor is there. An acquire load keeps the compiler from
// reading the rest first (x86 keeps loads in order).
std::uint8_t load_status(const std::uint8_t& status) {
    return __atomic_load_n(&status, __ATOMIC_ACQUIRE);
}

void probe() {
    const std::size_t functions = pci_function_count();
    char* memory = nic_memory;
    for (std::size_t i = 0; i < functions && found_count < kMaxControllers; ++i) {
        const PciFunction& function = pci_function(i);
        if (!is_82540em(function)) continue;
        if (memory == nullptr) break;  // cannot be: bare_start reserved for each
        auto* candidate = new (controller_storage[found_count]) Controller();
        if (candidate->initialize(function, static_cast<unsigned>(found_count), memory)) {
            controllers[found_count++] = candidate;
            memory += kMemoryBytes;
        }
    }
    if (found_count == 0) {
        console_print(functions == 0 ? "e1000: no PCI bus, so no NIC\n"
                                     : "e1000: no 82540EM (8086:100e) on the PCI bus\n");
    }
}

void probe_once() {
    int state = probe_state.load(std::memory_order_acquire);
    if (state == 2) return;
    if (state == 0 && probe_state.compare_exchange_strong(state, 1, std::memory_order_acquire)) {
        frames_until_stall = hal_options.e1000_stall_after;
        probe();
        probe_state.store(2, std::memory_order_release);
        return;
    }
    while (probe_state.load(std::memory_order_acquire) != 2) hal::cpu_relax();
}

}  // namespace

std::size_t controller_count() {
    probe_once();
    return found_count;
}

Controller* controller(std::size_t index) {
    probe_once();
    return index < found_count ? controllers[index] : nullptr;
}

std::uint32_t Controller::read(Register reg) const {
    return registers_[static_cast<std::uint32_t>(reg) / 4];
}

void Controller::write(Register reg, std::uint32_t value) {
    registers_[static_cast<std::uint32_t>(reg) / 4] = value;
}

bool Controller::initialize(const PciFunction& function, unsigned index, char* memory) {
    const char name[] = {'e', '1', '0', '0', '0', '.', static_cast<char>('0' + index), '\0'};
    for (std::size_t i = 0; i < sizeof name; ++i) name_[i] = name[i];
    PciBar bar = pci_bar(function, 0);
    if (bar.kind != PciBar::Kind::kMemory32 && bar.kind != PciBar::Kind::kMemory64) {
        console_print("%s: BAR0 is not an assigned memory BAR; not used\n", name_);
        return false;
    }
    // entry.S maps the first 4 GiB and nothing above: a BAR the firmware
    // put higher (a 64-bit BAR may be) cannot be reached.
    if (bar.address + kBarBytes > (std::uint64_t{1} << 32)) {
        console_print("%s: BAR0 at 0x%llx is above the 4 GiB identity map; not used\n", name_,
                      static_cast<unsigned long long>(bar.address));
        return false;
    }
    // Interrupt Line is what the firmware routed INTx to (SeaBIOS: the
    // ISA IRQ of the PIRQ link, on pc and q35); pin 0 is "no interrupt".
    std::uint16_t interrupt = pci_read16(function, kPciInterrupt);
    interrupt_line_ = static_cast<std::uint8_t>(interrupt);
    if ((interrupt >> 8) == 0 || interrupt_line_ == 0 || interrupt_line_ >= 16) {
        console_print("%s: no interrupt line routed by the firmware (0x%x); not used\n", name_,
                      interrupt_line_);
        return false;
    }
    std::uint16_t command = pci_read16(function, kPciCommand);
    command = static_cast<std::uint16_t>((command | kPciCommandMemory | kPciCommandBusMaster) &
                                         ~kPciInterruptDisable);
    pci_write16(function, kPciCommand, command);
    registers_ =
        reinterpret_cast<volatile std::uint32_t*>(static_cast<std::uintptr_t>(bar.address));
    receive_ring_ = reinterpret_cast<ReceiveDescriptor*>(memory);
    transmit_ring_ = reinterpret_cast<TransmitDescriptor*>(memory + kReceiveDescriptors *
                                                                        sizeof(ReceiveDescriptor));
    receive_buffers_ = reinterpret_cast<std::uint8_t*>(memory + 4096);
    transmit_buffers_ = receive_buffers_ + kReceiveDescriptors * kBufferBytes;
    if (!reset()) {
        console_print("%s: the reset did not complete, or no MAC address; not used\n", name_);
        return false;
    }
    console_print("%s: %02x:%02x:%02x:%02x:%02x:%02x, link %s, irq %u, pci %02x:%02x.%u\n", name_,
                  mac_[0], mac_[1], mac_[2], mac_[3], mac_[4], mac_[5], link_up() ? "up" : "down",
                  interrupt_line_, function.bus, function.device, function.function);
    return true;
}

// SDM §14.3 (general configuration) after a software reset (CTRL.RST,
// §13.4.1), then §14.4 and §14.5. Every register the driver relies on is
// written, whatever the reset did (QEMU's e1000 ignores RST, and the
// option ROM may have left the rings pointing into its own memory).
bool Controller::reset() {
    write(Register::kImc, kIntAll);
    write(Register::kRctl, 0);  // stop both DMA engines before the reset
    write(Register::kTctl, 0);
    write(Register::kCtrl, read(Register::kCtrl) | kCtrlReset);
    spin_for(1000);  // SDM §13.4.1: wait before the next register access
    std::uint64_t deadline = hal::deadline_after(kResetTimeout);
    while (read(Register::kCtrl) & kCtrlReset) {
        if (hal::clock_now_ns() > deadline) return false;
        asm volatile("pause");
    }
    write(Register::kImc, kIntAll);
    (void)read(Register::kIcr);
    // Internal PHY: link set up by the MAC, speed from auto-negotiation;
    // no link reset, PHY reset, inverted loss-of-signal or VLAN mode.
    std::uint32_t control = read(Register::kCtrl);
    control |= kCtrlSetLinkUp | kCtrlAutoSpeed;
    control &= ~(kCtrlLinkReset | kCtrlPhyReset | kCtrlInvertLoss | kCtrlVlanEnable);
    write(Register::kCtrl, control);
    // No flow control: §14.3 says to write zeros when it is not used.
    write(Register::kFcal, 0);
    write(Register::kFcah, 0);
    write(Register::kFct, 0);
    write(Register::kFcttv, 0);
    if (!read_mac_address()) return false;
    set_up_receive();
    set_up_transmit();
    write(Register::kItr, 0);  // no throttling: the mask is the mitigation
    dead_.store(false, std::memory_order_relaxed);
    if (armed_.load(std::memory_order_relaxed)) arm();
    return true;
}

// The station address: receive address 0 as the EEPROM load left it
// (QEMU sets it at power-on), else EEPROM words 0-2 through EERD (SDM
// §5.6: "Ethernet Address", low byte of each word first). Written back as
// the one valid unicast filter entry; the other fifteen are cleared.
bool Controller::read_mac_address() {
    std::uint32_t low = read(Register::kRal0), high = read(Register::kRah0);
    if (!(high & kRahAddressValid) || (low == 0 && (high & 0xFFFF) == 0)) {
        std::uint16_t words[3];
        for (std::uint32_t word = 0; word < 3; ++word) {
            write(Register::kEerd, kEerdStart | word << kEerdAddressShift);
            std::uint64_t deadline = hal::deadline_after(kEepromTimeout);
            std::uint32_t value;
            while (!((value = read(Register::kEerd)) & kEerdDone)) {
                if (hal::clock_now_ns() > deadline) return false;
            }
            words[word] = static_cast<std::uint16_t>(value >> kEerdDataShift);
        }
        low = words[0] | std::uint32_t{words[1]} << 16;
        high = words[2];
    }
    for (int i = 0; i < 4; ++i) mac_[i] = static_cast<std::uint8_t>(low >> (8 * i));
    mac_[4] = static_cast<std::uint8_t>(high);
    mac_[5] = static_cast<std::uint8_t>(high >> 8);
    if ((low | (high & 0xFFFF)) == 0 || (mac_[0] & 1)) return false;  // none, or a group address
    auto address_register = [](unsigned n, unsigned high_word) {
        return static_cast<Register>(static_cast<std::uint32_t>(Register::kRal0) + 8 * n +
                                     4 * high_word);
    };
    for (unsigned n = 1; n < kReceiveAddresses; ++n) write(address_register(n, 1), 0);
    write(Register::kRal0, low);
    write(Register::kRah0, (high & 0xFFFF) | kRahAddressValid);
    return true;
}

// SDM §14.4: the ring, no multicast, no receive delay, no checksum
// offload (the stack checks every checksum itself), then RCTL: enabled,
// broadcasts accepted, unicast only to receive address 0 (no UPE/MPE),
// 2048-byte buffers, CRC stripped, no long frames (a frame fits in one
// buffer, so every descriptor carries EOP).
void Controller::set_up_receive() {
    for (unsigned i = 0; i < kMulticastTableEntries; ++i) {
        write(static_cast<Register>(static_cast<std::uint32_t>(Register::kMta) + 4 * i), 0);
    }
    for (std::size_t i = 0; i < kReceiveDescriptors; ++i) {
        receive_ring_[i] =
            ReceiveDescriptor{address_of(receive_buffers_ + i * kBufferBytes), 0, 0, 0, 0, 0};
    }
    std::atomic_thread_fence(std::memory_order_release);
    write(Register::kRdbal, static_cast<std::uint32_t>(address_of(receive_ring_)));
    write(Register::kRdbah, static_cast<std::uint32_t>(address_of(receive_ring_) >> 32));
    write(Register::kRdlen, kReceiveDescriptors * sizeof(ReceiveDescriptor));
    write(Register::kRdh, 0);
    // SDM §3.2.6: the device owns the descriptors from head up to tail - 1;
    // one is always left out, so head == tail means "none free".
    write(Register::kRdt, kReceiveDescriptors - 1);
    write(Register::kRdtr, 0);
    write(Register::kRadv, 0);
    write(Register::kRxcsum, 0);
    write(Register::kRctl, kRctlEnable | kRctlBroadcastAccept | kRctlStripCrc);
    receive_next_ = 0;
}

// SDM §14.5: the ring, no interrupt delay, then TCTL and TIPG. Frames a
// reset caught in the ring are lost, and counted.
void Controller::set_up_transmit() {
    std::size_t pending =
        (transmit_tail_ + kTransmitDescriptors - transmit_clean_) % kTransmitDescriptors;
    if (pending != 0) send_dropped_.fetch_add(pending, std::memory_order_relaxed);
    for (std::size_t i = 0; i < kTransmitDescriptors; ++i) {
        transmit_ring_[i] =
            TransmitDescriptor{address_of(transmit_buffers_ + i * kBufferBytes), 0, 0, 0, 0, 0, 0};
    }
    std::atomic_thread_fence(std::memory_order_release);
    write(Register::kTdbal, static_cast<std::uint32_t>(address_of(transmit_ring_)));
    write(Register::kTdbah, static_cast<std::uint32_t>(address_of(transmit_ring_) >> 32));
    write(Register::kTdlen, kTransmitDescriptors * sizeof(TransmitDescriptor));
    write(Register::kTdh, 0);
    write(Register::kTdt, 0);
    write(Register::kTidv, 0);
    write(Register::kTctl,
          kTctlEnable | kTctlPadShort | kTctlCollisionThreshold | kTctlCollisionDistance);
    write(Register::kTipg, kTipgCopper);
    transmit_tail_ = transmit_clean_ = 0;
    transmit_stuck_since_ = 0;
}

void Controller::mac_address(std::uint8_t out[6]) const {
    for (int i = 0; i < 6; ++i) out[i] = mac_[i];
}

bool Controller::link_up() const {
    return !dead_.load(std::memory_order_relaxed) && (read(Register::kStatus) & kStatusLinkUp);
}

hal::NetCounters Controller::counters() const {
    // MPC counts frames the device had no descriptor for; it clears on read.
    if (!dead_.load(std::memory_order_relaxed)) {
        missed_.fetch_add(read(Register::kMpc), std::memory_order_relaxed);
    }
    hal::NetCounters counters;
    counters.received_frames = received_frames_.load(std::memory_order_relaxed);
    counters.received_bytes = received_bytes_.load(std::memory_order_relaxed);
    counters.received_dropped =
        received_dropped_.load(std::memory_order_relaxed) + missed_.load(std::memory_order_relaxed);
    counters.sent_frames = sent_frames_.load(std::memory_order_relaxed);
    counters.sent_bytes = sent_bytes_.load(std::memory_order_relaxed);
    counters.send_dropped = send_dropped_.load(std::memory_order_relaxed);
    return counters;
}

// The line goes to the CPU that drives the controller (so the event needs
// no IPI). attach also arms the interrupt: frames that came before it are
// in the ring, and their cause in ICR interrupts at once.
void Controller::attach(hal::EventId event) {
    event_ = event;
    if (!vector_installed) {
        set_interrupt_gate(kVector, e1000_interrupt_stub);
        vector_installed = true;
    }
    if (!ioapic_route_pci(interrupt_line_, kVector, apic_id())) {
        console_print("%s: no IO-APIC serves irq %u: no interrupts\n", name_, interrupt_line_);
    }
    arm();
}

void Controller::arm() {
    std::uint32_t causes = kReceiveCauses | (transmit_waiting_ ? kIntTransmitWritten : 0);
    unmasked_.store(causes, std::memory_order_relaxed);
    armed_.store(true, std::memory_order_release);
    write(Register::kIms, causes);
}

// From e1000_interrupt, inside idle or a scheduling point's interrupt
// window. Reading ICR clears the causes and so lowers the level-triggered
// line; IMC keeps it low until receive() has drained the ring (the NIC
// contract's one raise); then the stub's EOI lets the IO-APIC deliver again.
bool Controller::handle_interrupt() {
    if (!armed_.load(std::memory_order_acquire)) return false;  // masked: not this one asking
    std::uint32_t causes = read(Register::kIcr);
    // Only an unmasked cause asserts the line: others (TXDW is set by every
    // frame sent) mean the interrupt was another device's on a shared line.
    if ((causes & unmasked_.load(std::memory_order_relaxed)) == 0) return false;
    write(Register::kImc, kIntAll);
    armed_.store(false, std::memory_order_release);
    hal::event_raise(event_);
    return true;
}

// A failure of the device itself: what was in flight is lost; the next
// call finds a fresh controller (or, if the reset failed, a dead one that
// transmit tries to reset again every second).
hal::DeviceStatus Controller::recover(const char* why, std::atomic<std::uint64_t>& dropped) {
    dropped.fetch_add(1, std::memory_order_relaxed);
    console_print("%s: %s; resetting the controller\n", name_, why);
    if (!reset()) {
        dead_.store(true, std::memory_order_relaxed);
        armed_.store(false, std::memory_order_relaxed);
        next_revival_ = hal::deadline_after(kRevivalInterval);
        console_print("%s: the reset did not complete; retrying every second\n", name_);
    }
    return hal::DeviceStatus::kIoError;
}

bool Controller::reclaim_transmitted() {
    bool moved = false;
    while (transmit_clean_ != transmit_tail_) {
        TransmitDescriptor& descriptor = transmit_ring_[transmit_clean_];
        std::uint8_t status = load_status(descriptor.status);
        if (!(status & kTxDone)) break;
        // Only what the driver wrote, and the device's DD: anything else
        // in the third dword (length, command) means the ring was
        // overwritten.
        std::uint32_t written;
        __builtin_memcpy(&written, reinterpret_cast<const std::uint8_t*>(&descriptor) + 8, 4);
        if (written != transmit_written_[transmit_clean_]) return false;
        std::uint32_t frames = transmit_frames_[transmit_clean_];
        if (frames != 0 && (status & kTxCollisionErrors)) {
            send_dropped_.fetch_add(frames, std::memory_order_relaxed);
        } else if (frames != 0) {
            sent_frames_.fetch_add(frames, std::memory_order_relaxed);
            sent_bytes_.fetch_add(transmit_bytes_[transmit_clean_], std::memory_order_relaxed);
        }
        transmit_clean_ = (transmit_clean_ + 1) % kTransmitDescriptors;
        moved = true;
    }
    if (moved) transmit_stuck_since_ = 0;
    return true;
}

hal::DeviceStatus Controller::make_transmit_room(std::size_t descriptors) {
    if (dead_.load(std::memory_order_relaxed)) {
        if (hal::clock_now_ns() < next_revival_ || !reset()) {
            next_revival_ = hal::deadline_after(kRevivalInterval);
            send_dropped_.fetch_add(1, std::memory_order_relaxed);
            return hal::DeviceStatus::kIoError;
        }
        console_print("%s: the controller answers again\n", name_);
        hal::event_raise(event_);  // receive() re-arms the interrupt
    }
    if (!reclaim_transmitted()) {
        return recover("a transmit descriptor the driver never wrote", send_dropped_);
    }
    if (transmit_room() >= descriptors) return hal::DeviceStatus::kOk;
    std::uint64_t now = hal::clock_now_ns();
    if (transmit_stuck_since_ == 0) transmit_stuck_since_ = now;
    std::uint64_t stuck = now - transmit_stuck_since_;
    if (stuck > kTransmitTimeout) {
        return recover("the transmit ring has not moved for 1000 ms", send_dropped_);
    }
    transmit_waiting_ = true;  // arm() adds TXDW: raised when room frees
    if (armed_.load(std::memory_order_relaxed)) arm();
    // A device that has stopped will not interrupt: poll it until it
    // moves or the timeout above resets it.
    if (stuck > kTransmitSuspect) hal::event_raise(event_);
    return hal::DeviceStatus::kWouldBlock;
}

void Controller::queue_descriptor(const void* descriptor, std::uint32_t frames, std::uint32_t bytes) {
    __builtin_memcpy(&transmit_ring_[transmit_tail_], descriptor, sizeof(TransmitDescriptor));
    __builtin_memcpy(&transmit_written_[transmit_tail_], static_cast<const std::uint8_t*>(descriptor) + 8, 4);
    transmit_frames_[transmit_tail_] = frames;
    transmit_bytes_[transmit_tail_] = bytes;
    transmit_tail_ = (transmit_tail_ + 1) % kTransmitDescriptors;
}

void Controller::start_transmit() {
    std::atomic_thread_fence(std::memory_order_release);  // descriptors and bytes before TDT
    write(Register::kTdt, static_cast<std::uint32_t>(transmit_tail_));
    if (frames_until_stall != 0 && this == controllers[0] && --frames_until_stall == 0) {
        write(Register::kTctl, 0);  // toro.e1000.stall=N: the transmitter stops
        console_print("%s: toro.e1000.stall: transmitter stopped (a test)\n", name_);
    }
}

hal::DeviceStatus Controller::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += pieces[i].length;
    if (total == 0 || total > kMaxFrame) return hal::DeviceStatus::kInvalid;
    hal::DeviceStatus room = make_transmit_room(1);
    if (room != hal::DeviceStatus::kOk) return room;
    std::uint8_t* buffer = transmit_buffers_ + transmit_tail_ * kBufferBytes;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count; ++i) {
        __builtin_memcpy(buffer + offset, pieces[i].bytes, pieces[i].length);
        offset += pieces[i].length;
    }
    TransmitDescriptor descriptor{address_of(buffer), static_cast<std::uint16_t>(total), 0,
                                  kTxEndOfPacket | kTxInsertFcs | kTxReportStatus, 0, 0, 0};
    queue_descriptor(&descriptor, 1, static_cast<std::uint32_t>(total));
    start_transmit();
    return hal::DeviceStatus::kOk;
}

std::size_t Controller::max_offload_frame() const {
    return hal_options.e1000_no_tso ? 0 : kMaxOffloadFrame;
}

// SDM §3.3.6: one context descriptor (where the IPv4 and TCP headers are,
// the MSS, the payload's length), then the frame in buffers of extended
// data descriptors. The device puts each segment's IP length,
// identification, sequence number, flags and checksums in; it sums the
// TCP checksum from what the field holds, so the field is seeded with
// the pseudo-header's addresses and protocol (the device adds each
// segment's length), and the IP checksum field with 0. Every descriptor
// asks for its status (RS), so each is taken back as the others are.
hal::DeviceStatus Controller::transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                                    std::size_t segment_bytes) {
    constexpr std::size_t kIp = 14, kTcp = 14 + 20;
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += pieces[i].length;
    if (max_offload_frame() == 0 || total > kMaxOffloadFrame || total < kTcp + 20 ||
        segment_bytes == 0 || segment_bytes > 0xFFFF || count == 0 || pieces[0].length == 0) {
        return hal::DeviceStatus::kInvalid;
    }
    std::size_t buffers = (total + kBufferBytes - 1) / kBufferBytes;
    hal::DeviceStatus room = make_transmit_room(1 + buffers);
    if (room != hal::DeviceStatus::kOk) return room;
    // The frame, into the buffers of the descriptors after the context one.
    std::size_t first = (transmit_tail_ + 1) % kTransmitDescriptors;
    std::size_t piece = 0, within = 0;
    for (std::size_t b = 0; b < buffers; ++b) {
        std::uint8_t* buffer = transmit_buffers_ + (first + b) % kTransmitDescriptors * kBufferBytes;
        std::size_t filled = 0;
        while (filled < kBufferBytes && piece < count) {
            std::size_t take = pieces[piece].length - within;
            if (take > kBufferBytes - filled) take = kBufferBytes - filled;
            __builtin_memcpy(buffer + filled, pieces[piece].bytes + within, take);
            filled += take, within += take;
            if (within == pieces[piece].length) ++piece, within = 0;
        }
    }
    std::uint8_t* headers = transmit_buffers_ + first * kBufferBytes;
    std::size_t tcp_header = static_cast<std::size_t>(headers[kTcp + 12] >> 4) * 4;
    std::size_t header_bytes = kTcp + tcp_header;
    bool tcp_ipv4 = headers[12] == 0x08 && headers[13] == 0x00 && headers[kIp] == 0x45 &&
                    headers[kIp + 9] == 6 && tcp_header >= 20 && header_bytes < total;
    if (!tcp_ipv4) return hal::DeviceStatus::kInvalid;
    headers[kIp + 10] = headers[kIp + 11] = 0;
    std::uint32_t sum = 6;  // the pseudo-header: addresses and protocol
    for (std::size_t at = kIp + 12; at < kIp + 20; at += 2) sum += std::uint32_t{headers[at]} << 8 | headers[at + 1];
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
    headers[kTcp + 16] = static_cast<std::uint8_t>(sum >> 8);
    headers[kTcp + 17] = static_cast<std::uint8_t>(sum);
    std::size_t payload = total - header_bytes;
    TransmitContextDescriptor context{};
    context.ip_checksum_start = kIp;
    context.ip_checksum_offset = kIp + 10;
    context.ip_checksum_end = kTcp - 1;
    context.tcp_checksum_start = kTcp;
    context.tcp_checksum_offset = kTcp + 16;
    context.tcp_checksum_end = 0;
    context.payload_type_command = static_cast<std::uint32_t>(payload) | kTxCmdExtended |
                                   kTxCmdSegmentation | kTxCmdIpv4 | kTxCmdTcp | kTxCmdReportStatus;
    context.header_length = static_cast<std::uint8_t>(header_bytes);
    context.mss = static_cast<std::uint16_t>(segment_bytes);
    queue_descriptor(&context, 0, 0);
    std::uint32_t frames = static_cast<std::uint32_t>((payload + segment_bytes - 1) / segment_bytes);
    for (std::size_t b = 0; b < buffers; ++b) {
        bool last = b + 1 == buffers;
        std::size_t length = last ? total - b * kBufferBytes : kBufferBytes;
        TransmitDataDescriptor data{};
        data.buffer = address_of(transmit_buffers_ + transmit_tail_ * kBufferBytes);
        data.length_type_command = static_cast<std::uint32_t>(length) | kTxTypeData | kTxCmdExtended |
                                   kTxCmdSegmentation | kTxCmdInsertFcs | kTxCmdReportStatus |
                                   (last ? kTxCmdEndOfPacket : 0);
        data.options = kTxInsertIpChecksum | kTxInsertTcpChecksum;
        queue_descriptor(&data, last ? frames : 0, last ? static_cast<std::uint32_t>(total) : 0);
    }
    start_transmit();
    return hal::DeviceStatus::kOk;
}

hal::DeviceStatus Controller::receive(std::uint8_t* buffer, std::size_t capacity,
                                      std::size_t* length) {
    if (dead_.load(std::memory_order_relaxed)) {
        return hal::DeviceStatus::kWouldBlock;  // nothing will come; transmit revives it
    }
    for (;;) {
        ReceiveDescriptor& descriptor = receive_ring_[receive_next_];
        std::uint8_t status = load_status(descriptor.status);
        if (!(status & kRxDone)) {
            if (armed_.load(std::memory_order_relaxed)) return hal::DeviceStatus::kWouldBlock;
            // Nothing waiting: unmask, with no frame left unsignalled. The
            // causes of frames already taken are cleared first (else the
            // unmask interrupts at once for nothing); a frame that comes
            // after this look sets its cause again, and the unmask then
            // interrupts for it.
            (void)read(Register::kIcr);
            if (load_status(descriptor.status) & kRxDone) continue;
            if (!reclaim_transmitted()) {
                return recover("a transmit descriptor the driver never wrote", send_dropped_);
            }
            if (transmit_waiting_ && !transmit_ring_full()) {
                transmit_waiting_ = false;
                hal::event_raise(event_);  // room freed after a kWouldBlock
            }
            arm();
            return hal::DeviceStatus::kWouldBlock;
        }
        std::size_t frame_length = descriptor.length;
        std::uint8_t errors = descriptor.errors;
        // With 2048-byte buffers and long frames off, every frame is one
        // descriptor with EOP, at most a buffer long (SDM §3.2.3).
        if (!(status & kRxEndOfPacket) || frame_length == 0 || frame_length > kBufferBytes) {
            return recover("a receive descriptor the device should not have written",
                           received_dropped_);
        }
        const std::uint8_t* frame = receive_buffers_ + receive_next_ * kBufferBytes;
        bool deliver = !(errors & kRxFrameErrors) && frame_length <= capacity;
        if (deliver) {
            __builtin_memcpy(buffer, frame, frame_length);
            *length = frame_length;
            received_frames_.fetch_add(1, std::memory_order_relaxed);
            received_bytes_.fetch_add(frame_length, std::memory_order_relaxed);
        } else {
            received_dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        // Back to the device: status cleared, then the tail moved onto it
        // (the descriptor at the tail is the one the device may not use).
        descriptor.status = 0;
        std::atomic_thread_fence(std::memory_order_release);
        write(Register::kRdt, static_cast<std::uint32_t>(receive_next_));
        receive_next_ = (receive_next_ + 1) % kReceiveDescriptors;
        if (deliver) return hal::DeviceStatus::kOk;
        if (frame_length > capacity) return hal::DeviceStatus::kInvalid;
        // A frame the device marked bad: dropped; look at the next.
    }
}

}  // namespace bare::e1000

// What bare_start reserves for the controllers the PCI scan found.
std::size_t bare::nic_memory_bytes() {
    std::size_t found = 0;
    for (std::size_t i = 0; i < pci_function_count(); ++i) {
        if (e1000::is_82540em(pci_function(i)) && found < e1000::kMaxControllers) ++found;
    }
    return found * e1000::kMemoryBytes;
}

// The controllers' shared vector: each one asked whether it interrupted
// (a PCI line may be shared, and every controller's line uses this vector).
extern "C" void e1000_interrupt() {
    for (std::size_t i = 0; i < bare::e1000::found_count; ++i)
        bare::e1000::controllers[i]->handle_interrupt();
}
