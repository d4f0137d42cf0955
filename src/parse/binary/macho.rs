//! Mach-O front end (macOS binaries and dylibs, fat or thin): imported
//! symbols (with their leading underscore, which the matcher folds),
//! linked dylibs and sections. A fat binary is read through one slice,
//! x86-64 or arm64 first, since every slice comes from the same source.

use super::native::{Import, Native, ObjKind, Section};
use goblin::mach::{Mach, MachO, SingleArch};

const MAX_IMPORTS: usize = 50_000;
const MAX_SYMBOLS: usize = 1_000_000;
const MAX_SECTIONS: usize = 4096;
const MAX_ARCHES: usize = 16;
const CPU_X86_64: u32 = 0x0100_0007;
const CPU_ARM64: u32 = 0x0100_000c;

pub(super) fn read(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Native, String> {
    match Mach::parse(bytes).map_err(|e| format!("Mach-O: {e}"))? {
        Mach::Binary(m) => Ok(convert(&m, 0, bytes.len(), warnings)),
        Mach::Fat(fat) => {
            if fat.narches > MAX_ARCHES {
                return Err(format!("fat Mach-O claims {} architectures", fat.narches));
            }
            let arches: Vec<_> = fat
                .iter_arches()
                .take(MAX_ARCHES)
                .filter_map(Result::ok)
                .collect();
            let pick = arches
                .iter()
                .position(|a| a.cputype == CPU_X86_64 || a.cputype == CPU_ARM64)
                .or(if arches.is_empty() { None } else { Some(0) })
                .ok_or("fat Mach-O with no readable architecture")?;
            let base = arches[pick].offset as usize;
            let len = arches[pick].size as usize;
            match fat.get(pick).map_err(|e| format!("Mach-O slice: {e}"))? {
                SingleArch::MachO(m) => Ok(convert(&m, base, len, warnings)),
                SingleArch::Archive(_) => Err("fat Mach-O slice is a static archive".into()),
            }
        }
    }
}

/// `base` is the slice's offset in the file: section offsets are relative
/// to the slice and are rebased so later stages index the whole file.
fn convert(m: &MachO, base: usize, len: usize, warnings: &mut Vec<String>) -> Native {
    let mut n = Native {
        machine: match m.header.cputype {
            CPU_X86_64 => "x86-64".into(),
            CPU_ARM64 => "aarch64".into(),
            c => format!("mach-cpu-{c:#x}"),
        },
        kind: match m.header.filetype {
            2 => ObjKind::Executable,
            6 | 8 => ObjKind::SharedLibrary,
            1 => ObjKind::Object,
            _ => ObjKind::Other,
        },
        rpath: m.rpaths.iter().map(|s| s.to_string()).collect(),
        ..Native::default()
    };
    // `libs[0]` is "self" by goblin's convention.
    n.needed = m.libs.iter().skip(1).map(|s| s.to_string()).collect();
    // Imports come from the symbol table (undefined external symbols, with
    // the dylib as the two-level-namespace ordinal). goblin's bind-opcode
    // interpreter panics on hostile segment indexes (found by fuzzing) and
    // sees nothing in binaries that use chained fixups.
    const N_EXT: u8 = 0x01;
    for (name, nl) in m.symbols().take(MAX_SYMBOLS).flatten() {
        if n.imports.len() >= MAX_IMPORTS {
            warnings.push(format!(
                "more than {MAX_IMPORTS} imports; the rest were not read"
            ));
            break;
        }
        if !nl.is_undefined() || nl.n_type & N_EXT == 0 || name.is_empty() {
            continue;
        }
        let ordinal = usize::from(nl.n_desc >> 8);
        let library = (1..m.libs.len())
            .contains(&ordinal)
            .then(|| m.libs[ordinal].to_string());
        n.imports.push(Import {
            name: name.to_string(),
            library,
        });
    }
    'segs: for seg in m.segments.iter() {
        let Ok(sections) = seg.sections() else {
            continue;
        };
        for (s, _) in sections {
            if n.sections.len() >= MAX_SECTIONS {
                warnings.push(format!(
                    "more than {MAX_SECTIONS} sections; the rest were not read"
                ));
                break 'segs;
            }
            let name = s.name().unwrap_or("").to_string();
            let segname = s.segname().unwrap_or("");
            let off = s.offset as usize;
            let size = if off.saturating_add(s.size as usize) <= len {
                s.size as usize
            } else {
                0
            };
            // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
            let exec = s.flags & 0x8000_0400 != 0;
            let zerofill = matches!(s.flags & 0xff, 0x1 | 0xc | 0x12);
            n.sections.push(Section {
                rodata: !exec && !zerofill && (segname == "__TEXT" || segname == "__DATA_CONST"),
                name,
                addr: s.addr,
                offset: base.saturating_add(off),
                size,
                exec,
                nobits: zerofill,
            });
        }
    }
    n
}
