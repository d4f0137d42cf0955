//! PE front end (Windows executables and DLLs): imported functions by DLL
//! (`CreateProcessW` from `kernel32.dll`), sections, and the CLI header
//! that marks a .NET assembly.

use super::native::{Import, Native, ObjKind, Section};
use goblin::pe::PE;

const MAX_IMPORTS: usize = 50_000;
const MAX_SECTIONS: usize = 4096;
const SCN_EXECUTE: u32 = 0x2000_0000;
const SCN_WRITE: u32 = 0x8000_0000;
const SCN_UNINITIALIZED: u32 = 0x0000_0080;

pub(super) fn read(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Native, String> {
    let pe = PE::parse(bytes).map_err(|e| format!("PE: {e}"))?;
    let mut n = Native {
        machine: match pe.header.coff_header.machine {
            0x8664 => "x86-64".into(),
            0xaa64 => "aarch64".into(),
            0x14c => "x86".into(),
            0x1c4 => "arm".into(),
            m => format!("pe-machine-{m:#x}"),
        },
        kind: if pe.is_lib {
            ObjKind::SharedLibrary
        } else {
            ObjKind::Executable
        },
        is_dotnet: pe.clr_data.is_some(),
        ..Native::default()
    };
    let mut seen = std::collections::HashSet::new();
    for lib in &pe.libraries {
        if seen.insert(lib.to_ascii_lowercase()) {
            n.needed.push(lib.to_string());
        }
    }
    for i in pe.imports.iter().take(MAX_IMPORTS) {
        n.imports.push(Import {
            name: i.name.to_string(),
            library: Some(i.dll.to_string()),
        });
    }
    if pe.sections.len() > MAX_SECTIONS {
        warnings.push(format!(
            "{} sections; only the first {MAX_SECTIONS} were read",
            pe.sections.len()
        ));
    }
    for s in pe.sections.iter().take(MAX_SECTIONS) {
        let name = s
            .real_name
            .clone()
            .or_else(|| s.name().ok().map(str::to_string))
            .unwrap_or_default();
        let offset = s.pointer_to_raw_data as usize;
        let size = (s.size_of_raw_data as usize).min(bytes.len().saturating_sub(offset));
        let exec = s.characteristics & SCN_EXECUTE != 0;
        let nobits = s.characteristics & SCN_UNINITIALIZED != 0 || s.size_of_raw_data == 0;
        n.sections.push(Section {
            name,
            addr: pe.image_base.wrapping_add(u64::from(s.virtual_address)),
            offset: offset.min(bytes.len()),
            size,
            exec,
            rodata: !exec && s.characteristics & SCN_WRITE == 0 && !nobits,
            nobits,
        });
    }
    Ok(n)
}
