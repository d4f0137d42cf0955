//! One neutral view of an ELF, PE or Mach-O file, so every later analysis
//! (strings, syscall sites, Go and Rust metadata) is written once.
//!
//! Front ends fill it from their own format and keep nothing that borrows
//! the third-party parser: the view holds offsets into the mapped bytes and
//! owned names, which keeps lifetimes simple and the parsers swappable.

use super::syscalls::Arch;
use crate::model::context::Context;
use std::collections::HashMap;

/// What the file is for the loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ObjKind {
    Executable,
    SharedLibrary,
    /// A relocatable object (`.o`), e.g. an eBPF program for the kernel.
    Object,
    #[default]
    Other,
}

impl ObjKind {
    pub fn id(self) -> &'static str {
        match self {
            ObjKind::Executable => "executable",
            ObjKind::SharedLibrary => "shared-library",
            ObjKind::Object => "object",
            ObjKind::Other => "other",
        }
    }
}

/// A contiguous range of the file with its load address.
#[derive(Clone, Debug, Default)]
pub struct Section {
    pub name: String,
    /// Virtual address when loaded (0 for non-alloc sections).
    pub addr: u64,
    /// File offset and size, already checked to lie inside the file.
    pub offset: usize,
    pub size: usize,
    pub exec: bool,
    /// Allocated, not executable, not writable data: where string literals
    /// live (`.rodata`, `__cstring`, `.rdata`).
    pub rodata: bool,
    /// Occupies no bytes in the file (`.bss`).
    pub nobits: bool,
}

/// An imported function or data symbol.
#[derive(Clone, Debug)]
pub struct Import {
    pub name: String,
    /// The DLL or dylib it comes from, where the format says (PE, Mach-O).
    pub library: Option<String>,
}

/// A defined function symbol (from a symbol table), for attributing a code
/// address to a function.
#[derive(Clone, Debug)]
pub struct Func {
    pub addr: u64,
    pub size: u64,
    pub name: String,
}

/// The neutral view of one native binary.
#[derive(Clone, Debug, Default)]
pub struct Native {
    pub arch: Option<Arch>,
    /// Human name of the machine (`x86-64`, `aarch64`, `bpf`, `arm`...).
    pub machine: String,
    pub kind: ObjKind,
    pub imports: Vec<Import>,
    /// Libraries the loader will load (DT_NEEDED, PE DLLs, Mach-O dylibs).
    pub needed: Vec<String>,
    pub soname: Option<String>,
    pub interpreter: Option<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub sections: Vec<Section>,
    /// Defined functions, sorted by address.
    pub funcs: Vec<Func>,
    /// Whether a full symbol table was present (`.symtab`).
    pub has_symtab: bool,
    /// Linked without a dynamic loader.
    pub is_static: bool,
    /// Call targets that are import stubs: PLT entry address -> import name.
    pub stubs: HashMap<u64, String>,
    /// Import address slots: GOT/IAT slot address -> import name.
    pub slots: HashMap<u64, String>,
    /// An ELF object for the kernel's BPF virtual machine.
    pub is_bpf: bool,
    /// A PE file with a CLI header: a .NET assembly.
    pub is_dotnet: bool,
}

impl Native {
    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The bytes of a section, or an empty slice if it lies outside `bytes`.
    pub fn data<'a>(&self, bytes: &'a [u8], s: &Section) -> &'a [u8] {
        if s.nobits {
            return &[];
        }
        bytes
            .get(s.offset..s.offset.saturating_add(s.size))
            .unwrap_or(&[])
    }

    /// The defined function containing `addr`, by symbol table.
    pub fn func_at(&self, addr: u64) -> Option<&Func> {
        let i = self.funcs.partition_point(|f| f.addr <= addr);
        let f = self.funcs.get(i.checked_sub(1)?)?;
        let end = f.addr.saturating_add(f.size.max(1));
        (addr < end || f.size == 0).then_some(f)
    }

    /// Translates a virtual address to a file offset through the sections.
    pub fn offset_of(&self, addr: u64) -> Option<usize> {
        self.sections
            .iter()
            .filter(|s| !s.nobits && s.addr != 0)
            .find_map(|s| {
                let d = addr.checked_sub(s.addr)?;
                let d = usize::try_from(d).ok()?;
                (d < s.size).then(|| s.offset + d)
            })
    }
}

/// What the shared-library post-pass (`crate::analyze::linker`) needs from a binary.
#[derive(Clone, Debug)]
pub struct LinkInfo {
    /// Path relative to the scan root.
    pub rel: String,
    pub context: Context,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// An entry point: an executable, or a module an interpreter loads
    /// (a Python extension, a Node addon). Evidence from libraries it
    /// reaches is reported on it.
    pub entry: bool,
    /// Libraries this binary names for dlopen (from strings).
    pub dlopen: Vec<String>,
    /// Sections worth carrying to whoever loads this library (`.nv_fatbin`).
    pub sections: Vec<String>,
}

impl Default for LinkInfo {
    fn default() -> LinkInfo {
        LinkInfo {
            rel: String::new(),
            context: Context::Service,
            soname: None,
            needed: Vec::new(),
            rpath: Vec::new(),
            runpath: Vec::new(),
            entry: false,
            dlopen: Vec::new(),
            sections: Vec::new(),
        }
    }
}
