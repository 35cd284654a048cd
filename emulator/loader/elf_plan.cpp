// ELF program headers -> LoadPlan. Every field comes from an untrusted file: each offset and
// size is checked against the image before use, with arithmetic that cannot overflow.
#include <elf.h>

#include <fmt/format.h>

#include <algorithm>

#include "loader/byte_reader.h"
#include "loader/load_error.h"
#include "loader/load_plan.h"

namespace rw::loader {

namespace {

struct ElfHeaderFields {
  bool is_64 = false;
  uint16_t type = 0, machine = 0;
  uint64_t entry = 0, phoff = 0;
  uint16_t phentsize = 0, phnum = 0;
};

ElfHeaderFields read_elf_header(std::span<const uint8_t> image) {
  if (image.size() < EI_NIDENT) throw LoadError("not an ELF file (too short for an ELF header)");
  const uint8_t* ident = image.data();
  const uint8_t elf_class = ident[EI_CLASS];
  if (elf_class != ELFCLASS32 && elf_class != ELFCLASS64) {
    throw LoadError(fmt::format("unsupported ELF class {} (expected 32- or 64-bit)", elf_class));
  }
  if (ident[EI_DATA] != ELFDATA2LSB) throw LoadError("unsupported ELF byte order (expected little-endian)");
  if (ident[EI_VERSION] != EV_CURRENT) throw LoadError("unsupported ELF version");

  ElfHeaderFields f;
  f.is_64 = elf_class == ELFCLASS64;
  if (f.is_64) {
    Elf64_Ehdr eh;
    if (!read_struct(image, 0, eh)) throw LoadError("truncated ELF file (ELF header incomplete)");
    f = {true, eh.e_type, eh.e_machine, eh.e_entry, eh.e_phoff, eh.e_phentsize, eh.e_phnum};
  } else {
    Elf32_Ehdr eh;
    if (!read_struct(image, 0, eh)) throw LoadError("truncated ELF file (ELF header incomplete)");
    f = {false, eh.e_type, eh.e_machine, eh.e_entry, eh.e_phoff, eh.e_phentsize, eh.e_phnum};
  }

  const uint16_t wanted_machine = f.is_64 ? EM_X86_64 : EM_386;
  if (f.machine != wanted_machine) {
    throw LoadError(fmt::format("unsupported ELF machine type {} for a {}-bit image (expected {})", f.machine,
                                f.is_64 ? 64 : 32, f.is_64 ? "x86-64" : "i386"));
  }
  if (f.type != ET_EXEC) throw LoadError(fmt::format("unsupported ELF type {} (expected an executable)", f.type));
  return f;
}

LoadSegment read_program_header(std::span<const uint8_t> image, const ElfHeaderFields& f, uint64_t at,
                                uint32_t& type) {
  LoadSegment s;
  if (f.is_64) {
    Elf64_Phdr ph;
    read_struct(image, at, ph);
    type = ph.p_type;
    s = {ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
  } else {
    Elf32_Phdr ph;
    read_struct(image, at, ph);
    type = ph.p_type;
    s = {ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
  }
  return s;
}

}  // namespace

bool is_elf(std::span<const uint8_t> image) {
  return image.size() >= SELFMAG && std::equal(image.begin(), image.begin() + SELFMAG, ELFMAG);
}

LoadPlan plan_elf(std::span<const uint8_t> image) {
  if (!is_elf(image)) throw LoadError("not an ELF file");
  const ElfHeaderFields f = read_elf_header(image);

  const uint64_t min_entsize = f.is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  if (f.phnum == 0) throw LoadError("ELF file has no program headers");
  if (f.phnum == PN_XNUM) throw LoadError("ELF file uses extended program header numbering (unsupported)");
  if (f.phentsize < min_entsize) throw LoadError(fmt::format("bad ELF program header size {}", f.phentsize));
  // phnum < 2^16 and phentsize < 2^16: the product cannot overflow.
  if (!in_bounds(image.size(), f.phoff, uint64_t{f.phnum} * f.phentsize)) {
    throw LoadError("truncated ELF file (program headers past end of file)");
  }

  LoadPlan plan;
  plan.format = f.is_64 ? ImageFormat::kElf64 : ImageFormat::kElf32;
  plan.entry = f.entry;
  plan.low = UINT64_MAX;
  plan.high = 0;
  for (unsigned i = 0; i < f.phnum; ++i) {
    uint32_t type = 0;
    const LoadSegment s = read_program_header(image, f, f.phoff + uint64_t{i} * f.phentsize, type);
    if (type != PT_LOAD) continue;
    if (s.file_size > s.mem_size) {
      throw LoadError(fmt::format("bad ELF segment {}: file size 0x{:x} exceeds memory size 0x{:x}", i, s.file_size,
                                  s.mem_size));
    }
    if (!in_bounds(image.size(), s.file_offset, s.file_size)) {
      throw LoadError(fmt::format("truncated ELF file (segment {} at offset 0x{:x}, 0x{:x} bytes, past end of file)",
                                  i, s.file_offset, s.file_size));
    }
    if (s.paddr > UINT64_MAX - s.mem_size) {
      throw LoadError(fmt::format("bad ELF segment {}: address 0x{:x} + size 0x{:x} overflows", i, s.paddr, s.mem_size));
    }
    if (s.mem_size == 0) continue;
    plan.segments.push_back(s);
    plan.low = std::min(plan.low, s.paddr);
    plan.high = std::max(plan.high, s.paddr + s.mem_size);
  }
  if (plan.segments.empty()) throw LoadError("ELF file has no loadable segments");
  return plan;
}

LoadPlan plan_aout_kludge(std::span<const uint8_t> image, const MultibootHeader& h) {
  // The header's own address tells where the file is mapped: the byte at file offset
  // header.file_offset lands at header_addr, so the image starts at that offset minus
  // (header_addr - load_addr).
  if (h.header_addr < h.load_addr) {
    throw LoadError(fmt::format("bad multiboot header: header_addr 0x{:x} below load_addr 0x{:x}", h.header_addr,
                                h.load_addr));
  }
  const uint64_t header_delta = h.header_addr - h.load_addr;
  if (header_delta > h.file_offset) {
    throw LoadError(fmt::format("bad multiboot header: load_addr 0x{:x} lies before the start of the file",
                                h.load_addr));
  }
  LoadSegment s;
  s.paddr = h.load_addr;
  s.file_offset = h.file_offset - header_delta;
  if (h.load_end_addr != 0) {
    if (h.load_end_addr < h.load_addr) {
      throw LoadError(fmt::format("bad multiboot header: load_end_addr 0x{:x} below load_addr 0x{:x}",
                                  h.load_end_addr, h.load_addr));
    }
    s.file_size = h.load_end_addr - h.load_addr;
  } else {
    s.file_size = image.size() - s.file_offset;  // file_offset <= header offset < size
  }
  if (!in_bounds(image.size(), s.file_offset, s.file_size)) {
    throw LoadError(fmt::format("truncated kernel image (multiboot header says 0x{:x} bytes from offset 0x{:x})",
                                s.file_size, s.file_offset));
  }
  s.mem_size = s.file_size;
  if (h.bss_end_addr != 0) {
    if (h.bss_end_addr < s.paddr + s.file_size) {
      throw LoadError(fmt::format("bad multiboot header: bss_end_addr 0x{:x} below the end of the loaded image",
                                  h.bss_end_addr));
    }
    s.mem_size = h.bss_end_addr - s.paddr;
  }
  if (s.paddr + s.mem_size > (uint64_t{1} << 32)) {
    throw LoadError("bad multiboot header: the image extends past 4 GiB");
  }

  LoadPlan plan;
  plan.format = ImageFormat::kAoutKludge;
  plan.entry = h.entry_addr;
  plan.low = s.paddr;
  plan.high = s.paddr + s.mem_size;
  if (s.mem_size != 0) plan.segments.push_back(s);
  return plan;
}

}  // namespace rw::loader
