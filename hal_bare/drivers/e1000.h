// The Intel 82540EM gigabit Ethernet controller (PCI 8086:100E; QEMU's
// `-device e1000`), from Intel's "PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual" (8254x SDM, 317453006EN rev 4.0;
// sections cited as "SDM §n"). Its registers, their bits, the legacy
// descriptors, and the hal::NetDevice each controller is.
//
// The NIC contract (hal/devices.h) as this driver keeps it:
// * interrupt when idle, poll while busy: the interrupt handler reads ICR,
//   masks every cause with IMC and raises the kernel's event; receive()
//   unmasks with IMS only when it answers kWouldBlock;
// * transmit copies the gather list into the buffer of one descriptor;
//   when the ring is full it answers kWouldBlock and unmasks "transmit
//   descriptor written back", so the event is raised once room frees;
// * a device that misbehaves (a descriptor in a state the driver never
//   put it in, a transmit ring that does not move for a second, a reset
//   that does not finish) is reset: the call answers kIoError, never
//   hangs or panics.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "drivers/pci.h"
#include "hal/devices.h"

namespace bare::e1000 {

inline constexpr std::uint16_t kVendorIntel = 0x8086, kDevice82540EM = 0x100E;

// Register offsets from BAR0 (SDM chapter 13, the register summary), by the
// manual's names.
enum class Register : std::uint32_t {
    kCtrl = 0x0000,    // device control, §13.4.1
    kStatus = 0x0008,  // device status, §13.4.2
    kEerd = 0x0014,    // EEPROM read, §13.4.4
    kFcal = 0x0028,    // flow control address low/high, and type
    kFcah = 0x002C,
    kFct = 0x0030,
    kIcr = 0x00C0,    // interrupt cause read (clears on read), §13.4.17
    kItr = 0x00C4,    // interrupt throttling, §13.4.18
    kIms = 0x00D0,    // interrupt mask set, §13.4.20
    kImc = 0x00D8,    // interrupt mask clear, §13.4.21
    kRctl = 0x0100,   // receive control, §13.4.22
    kFcttv = 0x0170,  // flow control transmit timer value
    kTctl = 0x0400,   // transmit control, §13.4.33
    kTipg = 0x0410,   // transmit inter-packet gap, §13.4.34
    kRdbal = 0x2800,  // receive descriptor ring: base, length, head, tail
    kRdbah = 0x2804,
    kRdlen = 0x2808,
    kRdh = 0x2810,
    kRdt = 0x2818,
    kRdtr = 0x2820,   // receive delay timer
    kRadv = 0x282C,   // receive absolute delay timer
    kTdbal = 0x3800,  // transmit descriptor ring: base, length, head, tail
    kTdbah = 0x3804,
    kTdlen = 0x3808,
    kTdh = 0x3810,
    kTdt = 0x3818,
    kTidv = 0x3820,    // transmit interrupt delay
    kMpc = 0x4010,     // missed packets (no free descriptor); clears on read
    kRxcsum = 0x5000,  // receive checksum offload control
    kMta = 0x5200,     // multicast table array, 128 dwords
    kRal0 = 0x5400,    // receive address 0 low/high; n at + 8n
    kRah0 = 0x5404,
};
inline constexpr unsigned kMulticastTableEntries = 128, kReceiveAddresses = 16;

// CTRL bits (SDM §13.4.1).
inline constexpr std::uint32_t kCtrlLinkReset = 1u << 3, kCtrlAutoSpeed = 1u << 5,
                               kCtrlSetLinkUp = 1u << 6, kCtrlInvertLoss = 1u << 7,
                               kCtrlReset = 1u << 26, kCtrlVlanEnable = 1u << 30,
                               kCtrlPhyReset = 1u << 31;
// STATUS bits (SDM §13.4.2).
inline constexpr std::uint32_t kStatusLinkUp = 1u << 1;
// EERD on the 82540EM (SDM §13.4.4): address in 15:8, data in 31:16.
inline constexpr std::uint32_t kEerdStart = 1u << 0, kEerdDone = 1u << 4;
inline constexpr unsigned kEerdAddressShift = 8, kEerdDataShift = 16;
// Interrupt causes, the same bits in ICR, IMS and IMC (SDM §13.4.17).
inline constexpr std::uint32_t kIntTransmitWritten = 1u << 0,  // TXDW
    kIntLinkChange = 1u << 2,                                  // LSC
    kIntReceiveThreshold = 1u << 4,                            // RXDMT0
    kIntReceiveOverrun = 1u << 6,                              // RXO
    kIntReceiveTimer = 1u << 7,                                // RXT0: a frame arrived
    kIntAll = 0xFFFFFFFFu;
// RCTL bits (SDM §13.4.22). BSIZE 00 with BSEX clear is 2048-byte buffers.
inline constexpr std::uint32_t kRctlEnable = 1u << 1, kRctlBroadcastAccept = 1u << 15,
                               kRctlStripCrc = 1u << 26;
// RAH: address valid (the filter compares this entry).
inline constexpr std::uint32_t kRahAddressValid = 1u << 31;
// TCTL (SDM §13.4.33): collision threshold 0Fh and, full duplex, collision
// distance 40h are the manual's values (§14.5); PSP pads short frames.
inline constexpr std::uint32_t kTctlEnable = 1u << 1, kTctlPadShort = 1u << 3;
inline constexpr std::uint32_t kTctlCollisionThreshold = 0x0Fu << 4,
                               kTctlCollisionDistance = 0x40u << 12;
// TIPG for the 82540EM on copper (SDM §13.4.34): IPGT 10, IPGR1 8, IPGR2 6.
inline constexpr std::uint32_t kTipgCopper = 10u | 8u << 10 | 6u << 20;

// A legacy receive descriptor (SDM §3.2.3): the device writes the frame
// into `buffer`, then length, status (DD last), errors.
struct ReceiveDescriptor {
    std::uint64_t buffer;
    std::uint16_t length;
    std::uint16_t checksum;
    std::uint8_t status;
    std::uint8_t errors;
    std::uint16_t special;
};
static_assert(sizeof(ReceiveDescriptor) == 16);
// Receive status and errors (SDM §3.2.3.1, §3.2.3.2).
inline constexpr std::uint8_t kRxDone = 1u << 0, kRxEndOfPacket = 1u << 1;
// CRC/alignment, symbol, sequence, carrier extension, RX data errors: the
// frame is bad. (TCP/IP checksum errors need RXCSUM offload, which is off.)
inline constexpr std::uint8_t kRxFrameErrors = 1u << 0 | 1u << 1 | 1u << 2 | 1u << 4 | 1u << 7;

// A legacy transmit descriptor (SDM §3.3.3).
struct TransmitDescriptor {
    std::uint64_t buffer;
    std::uint16_t length;
    std::uint8_t checksum_offset;
    std::uint8_t command;
    std::uint8_t status;  // STA in 3:0, reserved 7:4
    std::uint8_t checksum_start;
    std::uint16_t special;
};
static_assert(sizeof(TransmitDescriptor) == 16);
// Command (SDM §3.3.3.1): end of packet, insert FCS, report status.
inline constexpr std::uint8_t kTxEndOfPacket = 1u << 0, kTxInsertFcs = 1u << 1,
                              kTxReportStatus = 1u << 3;
// Status (SDM §3.3.3.2): descriptor done; excess or late collisions.
inline constexpr std::uint8_t kTxDone = 1u << 0, kTxCollisionErrors = 1u << 1 | 1u << 2;

// TCP segmentation (SDM §3.3.5-3.3.7): a TCP/IP context descriptor says
// where the headers are and how to cut, then extended data descriptors
// carry the frame. Both are 16 bytes in the same ring.
struct TransmitContextDescriptor {
    std::uint8_t ip_checksum_start;    // IPCSS
    std::uint8_t ip_checksum_offset;   // IPCSO
    std::uint16_t ip_checksum_end;     // IPCSE (inclusive)
    std::uint8_t tcp_checksum_start;   // TUCSS
    std::uint8_t tcp_checksum_offset;  // TUCSO
    std::uint16_t tcp_checksum_end;    // TUCSE (0: to the end)
    std::uint32_t payload_type_command;  // PAYLEN 19:0, DTYP 23:20 (0), TUCMD 31:24
    std::uint8_t status;               // STA 3:0
    std::uint8_t header_length;        // HDRLEN
    std::uint16_t mss;
};
static_assert(sizeof(TransmitContextDescriptor) == 16);
struct TransmitDataDescriptor {
    std::uint64_t buffer;
    std::uint32_t length_type_command;  // DTALEN 19:0, DTYP 23:20 (1), DCMD 31:24
    std::uint8_t status;                // STA 3:0
    std::uint8_t options;               // POPTS
    std::uint16_t special;
};
static_assert(sizeof(TransmitDataDescriptor) == 16);
// TUCMD and DCMD bits (bits 31:24 of the third dword); DTYP in 23:20.
inline constexpr std::uint32_t kTxCmdEndOfPacket = 1u << 24, kTxCmdInsertFcs = 1u << 25,
                               kTxCmdTcp = 1u << 24, kTxCmdIpv4 = 1u << 25,
                               kTxCmdSegmentation = 1u << 26, kTxCmdReportStatus = 1u << 27,
                               kTxCmdExtended = 1u << 29;
inline constexpr std::uint32_t kTxTypeData = 1u << 20;
// POPTS: insert the IP and the TCP checksum.
inline constexpr std::uint8_t kTxInsertIpChecksum = 1u << 0, kTxInsertTcpChecksum = 1u << 1;
// The longest frame handed to the device's segmentation: IPv4's limit.
inline constexpr std::size_t kMaxOffloadFrame = 14 + 65535;

// Ring sizes: lengths must be multiples of 128 bytes (SDM §13.4.27, §13.4.38).
inline constexpr std::size_t kReceiveDescriptors = 128, kTransmitDescriptors = 64;
inline constexpr std::size_t kBufferBytes = 2048;
inline constexpr std::size_t kMaxFrame = 1514;  // without FCS, no VLAN tag
static_assert(kReceiveDescriptors * sizeof(ReceiveDescriptor) % 128 == 0);
static_assert(kTransmitDescriptors * sizeof(TransmitDescriptor) % 128 == 0);
// DMA memory per controller: both rings in the first page, then the buffers.
inline constexpr std::size_t kMemoryBytes =
    4096 + (kReceiveDescriptors + kTransmitDescriptors) * kBufferBytes;

class Controller final : public hal::NetDevice {
  public:
    Controller() = default;
    Controller(const Controller&) = delete;
    Controller& operator=(const Controller&) = delete;

    // Probes the function: BAR0 mapped (below 4 GiB), memory and bus
    // master on, an interrupt line, a reset that completes; rings and
    // filters set up, receiving. False (printed) when it cannot be used.
    bool initialize(const PciFunction& function, unsigned index, char* memory);

    const char* name() const override { return name_; }
    void mac_address(std::uint8_t out[6]) const override;
    std::size_t max_frame_size() const override { return kMaxFrame; }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override;
    hal::NetCounters counters() const override;
    // TSO, unless the kernel options say toro.e1000.tso=off.
    std::size_t max_offload_frame() const override;
    hal::DeviceStatus transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                            std::size_t segment_bytes) override;

    std::uint8_t interrupt_line() const { return interrupt_line_; }
    // From the interrupt handler (any CPU the line reaches): true if this
    // controller asked, then quieted and its event raised.
    bool handle_interrupt();

  private:
    std::uint32_t read(Register reg) const;
    void write(Register reg, std::uint32_t value);

    // Resets the controller and programs everything it needs (SDM §14).
    // False when the reset did not complete: the controller is then dead.
    bool reset();
    void set_up_receive();
    void set_up_transmit();
    bool read_mac_address();
    // A failure of the device: prints `why`, resets, counts; kIoError.
    hal::DeviceStatus recover(const char* why, std::atomic<std::uint64_t>& dropped);
    // Takes back the descriptors the device has sent; false on a
    // descriptor in a state the driver never put it in.
    bool reclaim_transmitted();
    bool transmit_ring_full() const { return transmit_room() == 0; }
    std::size_t transmit_room() const {
        return (transmit_clean_ + kTransmitDescriptors - transmit_tail_ - 1) % kTransmitDescriptors;
    }
    // What transmit and transmit_tcp_segments share: the dead controller's
    // revival, reclaiming, and waiting for `descriptors` free ones.
    hal::DeviceStatus make_transmit_room(std::size_t descriptors);
    // Fills the next descriptor, noting what it should hold when done.
    void queue_descriptor(const void* descriptor, std::uint32_t frames, std::uint32_t bytes);
    void start_transmit();
    // Unmasks the causes that end a wait: receive, and transmit room when a
    // transmit answered kWouldBlock.
    void arm();

    volatile std::uint32_t* registers_ = nullptr;
    char name_[12] = {};
    std::uint8_t mac_[6] = {};
    std::uint8_t interrupt_line_ = 0;

    ReceiveDescriptor* receive_ring_ = nullptr;
    TransmitDescriptor* transmit_ring_ = nullptr;
    std::uint8_t* receive_buffers_ = nullptr;
    std::uint8_t* transmit_buffers_ = nullptr;
    std::size_t receive_next_ = 0;            // the next descriptor the device fills
    std::size_t transmit_tail_ = 0;           // the next descriptor to fill (TDT)
    std::size_t transmit_clean_ = 0;          // the oldest descriptor not yet taken back
    std::uint64_t transmit_stuck_since_ = 0;  // full and not moving since (ns), or 0
    // Per transmit descriptor, what the driver wrote in its third dword
    // (reclaim checks the ring was not overwritten), and the frames and
    // bytes it completes (0 for all but a packet's last descriptor).
    std::uint32_t transmit_written_[kTransmitDescriptors] = {};
    std::uint32_t transmit_frames_[kTransmitDescriptors] = {};
    std::uint32_t transmit_bytes_[kTransmitDescriptors] = {};

    hal::EventId event_ = hal::kNoEvent;
    // Whether the interrupt is unmasked (set before IMS is written, cleared
    // by the handler) and the causes unmasked; whether a transmit waits
    // for room.
    std::atomic<bool> armed_{false};
    std::atomic<std::uint32_t> unmasked_{0};
    bool transmit_waiting_ = false;
    std::atomic<bool> dead_{false};   // a reset did not complete
    std::uint64_t next_revival_ = 0;  // when a dead controller is reset again (ns)

    std::atomic<std::uint64_t> received_frames_{0}, received_bytes_{0}, received_dropped_{0};
    std::atomic<std::uint64_t> sent_frames_{0}, sent_bytes_{0}, send_dropped_{0};
    mutable std::atomic<std::uint64_t> missed_{0};  // MPC, accumulated (it clears on read)
};

// The controllers found (probed on first use, from a kernel thread).
std::size_t controller_count();
Controller* controller(std::size_t index);

}  // namespace bare::e1000
