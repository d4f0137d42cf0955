//! ELF front end: goblin reads the headers, dynamic section and symbol
//! tables; this module turns them into the neutral [`Native`] view and
//! works out which call targets are import stubs (PLT entries, GOT slots),
//! so call sites of `syscall()` or `prctl()` can be found later.

use super::native::{Func, Import, Native, ObjKind, Section};
use super::syscalls::Arch;
use goblin::elf::{header, program_header, reloc, section_header, sym, Elf};
use std::collections::HashMap;

/// Caps that keep a hostile file from costing unbounded memory or time.
const MAX_SECTIONS: usize = 4096;
const MAX_SYMBOLS: usize = 500_000;
const MAX_IMPORTS: usize = 50_000;

/// Checks what goblin would otherwise trust: header counts against the file
/// size. A file that fails here is reported as malformed without parsing.
fn precheck(bytes: &[u8]) -> Result<(), String> {
    let h = Elf::parse_header(bytes).map_err(|e| format!("ELF header: {e}"))?;
    let len = bytes.len() as u64;
    let ph_end = h
        .e_phoff
        .saturating_add(u64::from(h.e_phnum) * u64::from(h.e_phentsize));
    if h.e_phnum > 0 && ph_end > len {
        return Err(format!(
            "program headers ({} x {} at {}) run past the end of the file",
            h.e_phnum, h.e_phentsize, h.e_phoff
        ));
    }
    let sh_end = h
        .e_shoff
        .saturating_add(u64::from(h.e_shnum) * u64::from(h.e_shentsize));
    if h.e_shnum > 0 && sh_end > len {
        return Err(format!(
            "section headers ({} x {} at {}) run past the end of the file",
            h.e_shnum, h.e_shentsize, h.e_shoff
        ));
    }
    Ok(())
}

pub(super) fn read(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Native, String> {
    precheck(bytes)?;
    // goblin refuses a whole file for one string that is not UTF-8, which
    // would let one flipped byte hide a binary. The retry reads a copy
    // whose string tables have each bad byte replaced by `?` (same length,
    // so every offset still holds).
    let fixed: Vec<u8>;
    let (bytes, elf) = match Elf::parse(bytes) {
        Ok(elf) => (bytes, elf),
        Err(e) if e.to_string().contains("utf8") => {
            let (copy, replaced) = sanitize_strings(bytes).ok_or_else(|| format!("ELF: {e}"))?;
            fixed = copy;
            let elf = Elf::parse(&fixed).map_err(|e| format!("ELF: {e}"))?;
            warnings.push(format!(
                "ELF string tables hold {replaced} bytes that are not UTF-8; read as `?`"
            ));
            (fixed.as_slice(), elf)
        }
        Err(e) => return Err(format!("ELF: {e}")),
    };
    let mut n = Native {
        arch: match elf.header.e_machine {
            header::EM_X86_64 if elf.is_64 && elf.little_endian => Some(Arch::X86_64),
            header::EM_AARCH64 if elf.is_64 && elf.little_endian => Some(Arch::Aarch64),
            _ => None,
        },
        machine: machine_name(elf.header.e_machine),
        is_bpf: elf.header.e_machine == header::EM_BPF,
        interpreter: elf.interpreter.map(str::to_string),
        soname: elf.soname.map(str::to_string),
        needed: elf
            .libraries
            .iter()
            .take(MAX_IMPORTS)
            .map(|s| s.to_string())
            .collect(),
        rpath: split_paths(&elf.rpaths),
        runpath: split_paths(&elf.runpaths),
        ..Native::default()
    };
    n.kind = match elf.header.e_type {
        header::ET_EXEC => ObjKind::Executable,
        // A PIE is ET_DYN with an interpreter; a shared library has none
        // (the few libraries that are also runnable, like libc, have one
        // but also a SONAME).
        header::ET_DYN if elf.interpreter.is_some() && elf.soname.is_none() => ObjKind::Executable,
        header::ET_DYN => ObjKind::SharedLibrary,
        header::ET_REL => ObjKind::Object,
        _ => ObjKind::Other,
    };
    n.is_static =
        n.kind == ObjKind::Executable && elf.interpreter.is_none() && elf.dynamic.is_none();
    sections(bytes, &elf, &mut n, warnings);
    imports(&elf, &mut n);
    funcs(&elf, &mut n);
    stubs(bytes, &elf, &mut n);
    Ok(n)
}

/// A copy of `bytes` in which every byte of a string table (the sections of
/// type `SHT_STRTAB`, the dynamic string table, the interpreter path) that
/// is not part of valid UTF-8 is replaced by `?`, and how many were.
/// Linear in the file; `None` when there is nothing to fix or no tables.
fn sanitize_strings(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    use goblin::container::{Container, Ctx};
    let h = Elf::parse_header(bytes).ok()?;
    let container = if h.e_ident[header::EI_CLASS] == header::ELFCLASS64 {
        Container::Big
    } else {
        Container::Little
    };
    let ctx = Ctx::new(container, h.endianness().ok()?);
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    if h.e_shnum as usize <= MAX_SECTIONS {
        let shdrs = section_header::SectionHeader::parse(
            bytes,
            h.e_shoff as usize,
            h.e_shnum as usize,
            ctx,
        )
        .unwrap_or_default();
        ranges.extend(
            shdrs
                .iter()
                .filter(|s| s.sh_type == section_header::SHT_STRTAB)
                .map(|s| (s.sh_offset, s.sh_size)),
        );
    }
    let phdrs =
        program_header::ProgramHeader::parse(bytes, h.e_phoff as usize, h.e_phnum as usize, ctx)
            .unwrap_or_default();
    ranges.extend(
        phdrs
            .iter()
            .filter(|p| p.p_type == program_header::PT_INTERP)
            .map(|p| (p.p_offset, p.p_filesz)),
    );
    if let Ok(Some(d)) = goblin::elf::dynamic::Dynamic::parse(bytes, &phdrs, ctx) {
        ranges.push((d.info.strtab as u64, d.info.strsz as u64));
    }
    ranges.sort_unstable();
    ranges.dedup();
    let mut copy = bytes.to_vec();
    let mut replaced = 0;
    for (offset, size) in ranges {
        let Some((start, len)) = in_file(bytes, offset, size) else {
            continue;
        };
        let table = &mut copy[start..start + len];
        let mut at = 0;
        // Chunks are found on the original bytes and patched in the copy.
        for chunk in bytes[start..start + len].utf8_chunks() {
            at += chunk.valid().len();
            for b in &mut table[at..at + chunk.invalid().len()] {
                *b = b'?';
                replaced += 1;
            }
            at += chunk.invalid().len();
        }
    }
    (replaced > 0).then_some((copy, replaced))
}

/// `DT_RUNPATH` and `DT_RPATH` hold `:`-separated lists.
fn split_paths(v: &[&str]) -> Vec<String> {
    v.iter()
        .flat_map(|p| p.split(':'))
        .filter(|p| !p.is_empty())
        .take(64)
        .map(str::to_string)
        .collect()
}

fn machine_name(m: u16) -> String {
    match m {
        header::EM_X86_64 => "x86-64".into(),
        header::EM_AARCH64 => "aarch64".into(),
        header::EM_386 => "x86".into(),
        header::EM_ARM => "arm".into(),
        header::EM_RISCV => "riscv".into(),
        header::EM_PPC64 => "ppc64".into(),
        header::EM_S390 => "s390".into(),
        header::EM_MIPS => "mips".into(),
        header::EM_BPF => "bpf".into(),
        other => format!("elf-machine-{other}"),
    }
}

fn sections(bytes: &[u8], elf: &Elf, n: &mut Native, warnings: &mut Vec<String>) {
    if elf.section_headers.len() > MAX_SECTIONS {
        warnings.push(format!(
            "{} section headers; only the first {MAX_SECTIONS} were read",
            elf.section_headers.len()
        ));
    }
    for sh in elf.section_headers.iter().take(MAX_SECTIONS) {
        if sh.sh_type == section_header::SHT_NULL {
            continue;
        }
        let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string();
        let nobits = sh.sh_type == section_header::SHT_NOBITS;
        let (offset, size) = match in_file(bytes, sh.sh_offset, sh.sh_size) {
            Some(r) => r,
            None if nobits => (0, 0),
            None => {
                warnings.push(format!("section `{name}` lies outside the file; ignored"));
                continue;
            }
        };
        let flags = sh.sh_flags;
        let alloc = flags & u64::from(section_header::SHF_ALLOC) != 0;
        let exec = flags & u64::from(section_header::SHF_EXECINSTR) != 0;
        let write = flags & u64::from(section_header::SHF_WRITE) != 0;
        n.sections.push(Section {
            rodata: alloc && !exec && !write && !nobits,
            name,
            addr: sh.sh_addr,
            offset,
            size,
            exec,
            nobits,
        });
    }
    // A binary with its section headers removed (sstrip) still has loadable
    // segments: treat them as unnamed sections so code can be scanned.
    if n.sections.is_empty() {
        for ph in elf
            .program_headers
            .iter()
            .filter(|p| p.p_type == program_header::PT_LOAD)
            .take(64)
        {
            let Some((offset, size)) = in_file(bytes, ph.p_offset, ph.p_filesz) else {
                continue;
            };
            let exec = ph.p_flags & program_header::PF_X != 0;
            let write = ph.p_flags & program_header::PF_W != 0;
            n.sections.push(Section {
                name: String::new(),
                addr: ph.p_vaddr,
                offset,
                size,
                exec,
                rodata: !exec && !write,
                nobits: false,
            });
        }
    }
}

/// A file range, if it lies wholly inside the file.
fn in_file(bytes: &[u8], offset: u64, size: u64) -> Option<(usize, usize)> {
    let o = usize::try_from(offset).ok()?;
    let s = usize::try_from(size).ok()?;
    (o.checked_add(s)? <= bytes.len()).then_some((o, s))
}

fn imports(elf: &Elf, n: &mut Native) {
    let mut seen = std::collections::HashSet::new();
    for s in elf.dynsyms.iter().take(MAX_SYMBOLS) {
        if s.st_shndx != section_header::SHN_UNDEF as usize || s.st_name == 0 {
            continue;
        }
        let Some(name) = elf.dynstrtab.get_at(s.st_name) else {
            continue;
        };
        if name.is_empty() || !seen.insert(name) {
            continue;
        }
        n.imports.push(Import {
            name: name.to_string(),
            library: None,
        });
        if n.imports.len() >= MAX_IMPORTS {
            break;
        }
    }
}

fn funcs(elf: &Elf, n: &mut Native) {
    n.has_symtab = !elf.syms.is_empty();
    // Both tables: a stripped binary still has its exported dynamic symbols.
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    let mut seen = std::collections::HashSet::new();
    for (syms, strtab) in tables {
        for s in syms.iter().take(MAX_SYMBOLS) {
            if s.st_type() != sym::STT_FUNC && s.st_type() != sym::STT_GNU_IFUNC || s.st_value == 0
            {
                continue;
            }
            if s.st_shndx == section_header::SHN_UNDEF as usize {
                continue;
            }
            let Some(name) = strtab.get_at(s.st_name) else {
                continue;
            };
            if name.is_empty() || !seen.insert((s.st_value, name)) {
                continue;
            }
            n.funcs.push(Func {
                addr: s.st_value,
                size: s.st_size,
                name: name.to_string(),
            });
            if n.funcs.len() >= MAX_SYMBOLS {
                break;
            }
        }
    }
    n.funcs
        .sort_by(|a, b| a.addr.cmp(&b.addr).then(b.size.cmp(&a.size)));
}

/// Maps import slots (GOT entries filled by JUMP_SLOT/GLOB_DAT relocations)
/// and the PLT stubs that jump through them back to import names.
fn stubs(bytes: &[u8], elf: &Elf, n: &mut Native) {
    let name_of = |r: &reloc::Reloc| -> Option<String> {
        let s = elf.dynsyms.get(r.r_sym)?;
        if s.st_shndx != section_header::SHN_UNDEF as usize {
            return None;
        }
        elf.dynstrtab
            .get_at(s.st_name)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    for r in elf
        .pltrelocs
        .iter()
        .chain(elf.dynrelas.iter())
        .chain(elf.dynrels.iter())
        .take(MAX_SYMBOLS)
    {
        let slot_kind = matches!(
            (elf.header.e_machine, r.r_type),
            (
                header::EM_X86_64,
                reloc::R_X86_64_JUMP_SLOT | reloc::R_X86_64_GLOB_DAT | reloc::R_X86_64_64
            ) | (
                header::EM_AARCH64,
                reloc::R_AARCH64_JUMP_SLOT | reloc::R_AARCH64_GLOB_DAT | reloc::R_AARCH64_ABS64
            )
        );
        if slot_kind {
            if let Some(name) = name_of(&r) {
                n.slots.insert(r.r_offset, name);
            }
        }
    }
    if n.slots.is_empty() {
        return;
    }
    let plts: Vec<&Section> = n
        .sections
        .iter()
        .filter(|s| s.exec && s.name.starts_with(".plt"))
        .collect();
    let mut stubs = HashMap::new();
    for s in plts {
        let data = n.data(bytes, s);
        match n.arch {
            Some(Arch::X86_64) => super::x86::plt_stubs(data, s.addr, &n.slots, &mut stubs),
            Some(Arch::Aarch64) => super::arm64::plt_stubs(data, s.addr, &n.slots, &mut stubs),
            None => {}
        }
    }
    n.stubs = stubs
        .into_iter()
        .filter_map(|(at, slot)| Some((at, n.slots.get(&slot)?.clone())))
        .collect();
}
