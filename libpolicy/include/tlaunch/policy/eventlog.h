// The TCG crypto-agile event log (docs/reference/eventlog.md): written by the launcher for every
// PCR it extends, read back by `tlaunch log` from a file, from Linux's
// binary_bios_measurements or from the launcher's setup_data hand-over.
//
// Format facts: TCG PC Client Platform Firmware Profile Specification (PFP), Family 2.0,
// Level 00 Revision 1.05: §10.2.1 TCG_PCR_EVENT (the SHA-1 header event that starts a
// crypto-agile log), §10.2.2 TCG_PCR_EVENT2, §10.4.5.1 TCG_EfiSpecIDEventStruct, §10.4.1 the event
// types. Every integer of the log is little-endian (unlike the TPM wire format).
//
// A log is attacker-controlled input: the reader checks every length against what is left, names
// the field and the byte offset of what it rejects, and never stores more than kMaxAlgs digests
// per event. Core code: no heap, no exceptions.
#pragma once

#include "tlaunch/policy/bytes.h"
#include "tlaunch/policy/hash_alg.h"

namespace tlaunch::eventlog {

// PFP §10.4.1 (event types).
inline constexpr uint32_t kEvPrebootCert = 0x00000000;
inline constexpr uint32_t kEvNoAction = 0x00000003;
inline constexpr uint32_t kEvSeparator = 0x00000004;
// tboot's type for every verified-launch measurement it appends to the TXT event log:
// EVTTYPE_TB_MEASUREMENT = 0x400 + 0x101 (tboot common/integrity.c; 0x400 is the base of the
// Intel TXT DRTM event types). The launcher uses it too (docs/reference/eventlog.md §3).
inline constexpr uint32_t kEvTbMeasurement = 0x00000501;

// Algorithms a log may declare. The TPM 2.0 algorithm registry has 8 PCR-capable hashes
// (SHA-1, SHA-256/384/512, SM3-256, SHA3-256/384/512); a Spec ID event declaring more is refused.
inline constexpr size_t kMaxAlgs = 8;
// PCR indices of a PC Client TPM (PC Client Platform TPM Profile: 24 PCRs).
inline constexpr uint32_t kMaxPcr = 23;

// "Spec ID Event03" and its NUL (PFP §10.4.5.1, signature of a crypto-agile log).
inline constexpr size_t kSignatureSize = 16;
extern const uint8_t kSpecIdSignature[kSignatureSize];
// TCG_PCR_EVENT header of the Spec ID event: pcrIndex, eventType, SHA-1 digest, eventDataSize.
inline constexpr size_t kHeaderEventFixedSize = 4 + 4 + 20 + 4;
// TCG_PCR_EVENT2 without digests and data: pcrIndex, eventType, digests.count, eventSize.
inline constexpr size_t kEvent2FixedSize = 4 + 4 + 4 + 4;

struct AlgSize {
  uint16_t alg = 0;
  uint16_t size = 0;
};

// TCG_EfiSpecIDEventStruct.
struct SpecId {
  uint32_t platform_class = 0;  // 0 client, 1 server (TCG ACPI Specification)
  uint8_t version_minor = 0;
  uint8_t version_major = 2;
  uint8_t errata = 2;
  uint8_t uintn_size = 2;  // 1: UINTN fields are 32-bit, 2: 64-bit
  size_t num_algs = 0;
  AlgSize algs[kMaxAlgs];
  ByteSpan vendor_info;

  // Index of `alg` in algs, or -1.
  int find(uint16_t alg) const;
};

// One TCG_PCR_EVENT2.
struct Event {
  uint32_t offset = 0;  // of the event in the log
  uint32_t size = 0;    // bytes the event takes in the log
  uint32_t pcr = 0;
  uint32_t type = 0;
  size_t num_digests = 0;
  Digest digests[kMaxAlgs];  // in the order of the log (an algorithm a Digest cannot hold an id
                             // for is kept as its raw id in Digest::alg)
  ByteSpan data;             // view into the log
  uint32_t data_offset = 0;  // of data in the log

  const Digest* digest(HashAlg alg) const;
  // PFP §10.4.1: EV_NO_ACTION events are logged but never extended.
  bool extends() const { return type != kEvNoAction; }
};

// A log read event by event. Open() decodes the Spec ID event; next() decodes one event.
class Reader {
 public:
  enum class Mode : uint8_t {
    // A log file (binary_bios_measurements, setup_data, a file someone sent): every byte is part
    // of an event, except trailing zero bytes (the unused rest of a log area copied as a whole).
    kFile = 0,
    // A log area in memory (ACPI LASA/LAML): the log ends at the first event Linux's parser would
    // not accept (include/linux/tpm_eventlog.h __calc_tpm2_event_size: a digest count other than
    // the Spec ID event's, an undeclared algorithm, type 0 with no data, or not enough room).
    kArea = 1,
  };

  Reader() = default;
  static Result<Reader> open(ByteSpan log, Mode mode = Mode::kFile);

  const SpecId& spec_id() const { return spec_; }
  size_t header_size() const { return header_size_; }
  // The next event in *out; false at the end of the log. After the end, end() is the offset
  // where the events end and (kArea) end_reason() says why parsing stopped there.
  Result<bool> next(Event* out);
  size_t end() const { return pos_; }
  const Error& end_reason() const { return end_reason_; }

 private:
  Result<Event> parse_event(ByteReader& r) const;

  ByteSpan log_;
  Mode mode_ = Mode::kFile;
  SpecId spec_;
  size_t header_size_ = 0;
  size_t pos_ = 0;
  bool done_ = false;
  Error end_reason_;
};

// Writes a log into a fixed buffer: a new one (Spec ID event first), or the continuation of one
// already there (a firmware's log area).
class Writer {
 public:
  Writer() = default;
  // A new log declaring `algs` in this order (1..kMaxAlgs, each with a known digest size, no
  // repeats): writes the Spec ID event (PFP §10.4.5.1: PCR 0, EV_NO_ACTION, SHA-1 digest of
  // zeros, version 2.0 errata 2, 64-bit UINTN, no vendor data).
  static Result<Writer> create(MutableByteSpan buf, const HashAlg* algs, size_t num_algs,
                               uint32_t platform_class = 0);
  // The log at the start of `buf`: appends go after its last event as Reader kArea finds it.
  static Result<Writer> attach(MutableByteSpan buf);

  const SpecId& spec_id() const { return spec_; }
  size_t size() const { return size_; }  // bytes of log: header and events
  ByteSpan written() const { return ByteSpan(buf_.data, size_); }
  size_t events_before() const { return existing_events_; }  // events found by attach()
  // Bytes one event with `data_size` bytes of data takes in this log.
  size_t event_size(size_t data_size) const;
  // Bytes left for events.
  size_t room() const { return buf_.size - size_; }

  // Appends one TCG_PCR_EVENT2. `digests` holds exactly one digest for every algorithm the
  // Spec ID event declares (in any order; written in the declared order). Errors (nothing is
  // written): kBadValue for a missing, repeated or undeclared algorithm or a PCR above 23,
  // kTooLarge when the buffer has no room. After the event the next 12 bytes (or what is left
  // of them) are cleared, so that a reader of the area stops there (Linux stops at a digest count
  // of 0).
  Status append(uint32_t pcr, uint32_t type, const Digest* digests, size_t num_digests,
                ByteSpan data);

 private:
  MutableByteSpan buf_;
  SpecId spec_;
  size_t size_ = 0;
  size_t existing_events_ = 0;
};

// Name of a PFP event type ("EV_SEPARATOR", "EV_EFI_ACTION", ...), "EV_TB_MEASUREMENT" for
// tboot's 0x501; nullptr for a type without a name.
const char* event_type_name(uint32_t type);

}  // namespace tlaunch::eventlog
