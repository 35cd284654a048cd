// Builds small multiboot ELF images in memory, for loader tests.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace rw::testing {

struct TestSegment {
  uint64_t paddr = 0x100000;
  std::vector<uint8_t> data;
  uint64_t mem_size = 0;  // 0: same as data.size()
};

struct ElfSpec {
  int bits = 32;
  uint16_t machine = 0;  // 0: EM_386 for 32-bit, EM_X86_64 for 64-bit
  uint64_t entry = 0x100000;
  std::vector<TestSegment> segments = {TestSegment{0x100000, std::vector<uint8_t>(64, 0x90), 0x200}};
  bool multiboot = true;
  uint32_t multiboot_flags = 0x3;
  bool bad_checksum = false;
};

inline void put(std::vector<uint8_t>& image, uint64_t offset, const void* data, size_t size) {
  if (image.size() < offset + size) image.resize(offset + size);
  std::memcpy(image.data() + offset, data, size);
}

// Layout: ELF header, program headers, multiboot header, then each segment's bytes.
inline std::vector<uint8_t> build_elf(const ElfSpec& spec) {
  const bool is64 = spec.bits == 64;
  const uint64_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  const uint64_t phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  const uint64_t mb_offset = ehsize + phentsize * spec.segments.size();
  uint64_t data_offset = (mb_offset + 12 + 15) & ~uint64_t{15};

  std::vector<uint8_t> image(data_offset, 0);
  const uint16_t machine = spec.machine ? spec.machine : (is64 ? EM_X86_64 : EM_386);
  if (is64) {
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = spec.entry;
    eh.e_phoff = ehsize;
    eh.e_ehsize = static_cast<uint16_t>(ehsize);
    eh.e_phentsize = static_cast<uint16_t>(phentsize);
    eh.e_phnum = static_cast<uint16_t>(spec.segments.size());
    put(image, 0, &eh, sizeof eh);
  } else {
    Elf32_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = static_cast<uint32_t>(spec.entry);
    eh.e_phoff = static_cast<uint32_t>(ehsize);
    eh.e_ehsize = static_cast<uint16_t>(ehsize);
    eh.e_phentsize = static_cast<uint16_t>(phentsize);
    eh.e_phnum = static_cast<uint16_t>(spec.segments.size());
    put(image, 0, &eh, sizeof eh);
  }

  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const TestSegment& s = spec.segments[i];
    const uint64_t mem_size = s.mem_size ? s.mem_size : s.data.size();
    if (is64) {
      Elf64_Phdr ph{};
      ph.p_type = PT_LOAD;
      ph.p_offset = data_offset;
      ph.p_vaddr = s.paddr;
      ph.p_paddr = s.paddr;
      ph.p_filesz = s.data.size();
      ph.p_memsz = mem_size;
      ph.p_flags = PF_R | PF_X;
      put(image, ehsize + i * phentsize, &ph, sizeof ph);
    } else {
      Elf32_Phdr ph{};
      ph.p_type = PT_LOAD;
      ph.p_offset = static_cast<uint32_t>(data_offset);
      ph.p_vaddr = static_cast<uint32_t>(s.paddr);
      ph.p_paddr = static_cast<uint32_t>(s.paddr);
      ph.p_filesz = static_cast<uint32_t>(s.data.size());
      ph.p_memsz = static_cast<uint32_t>(mem_size);
      ph.p_flags = PF_R | PF_X;
      put(image, ehsize + i * phentsize, &ph, sizeof ph);
    }
    put(image, data_offset, s.data.data(), s.data.size());
    data_offset = (data_offset + s.data.size() + 15) & ~uint64_t{15};
  }

  if (spec.multiboot) {
    const uint32_t magic = 0x1BADB002;
    uint32_t header[3] = {magic, spec.multiboot_flags, static_cast<uint32_t>(-(magic + spec.multiboot_flags))};
    if (spec.bad_checksum) header[2] ^= 1;
    put(image, mb_offset, header, sizeof header);
  }
  return image;
}

}  // namespace rw::testing
