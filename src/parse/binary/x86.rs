//! x86-64 code reading: syscall instructions, calls into import stubs and
//! Go wrapper functions, and the constant loaded into an argument register
//! just before them (`mov edi, 0x141; call syscall@plt` is `bpf`).
//!
//! Candidates are found with cheap byte searches (`0f 05`, `e8 rel32`,
//! `ff 15 disp32`); only those few places are decoded, with iced-x86, over
//! a short window before the site. x86 has no fixed instruction boundaries,
//! so the window is decoded from several starting bytes and only the
//! instructions every decoding agrees on are trusted.

use super::callsite::{CallSite, RawSite, Target, Targets};
use iced_x86::{
    Code, Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, OpAccess,
    OpKind, Register,
};
use std::collections::HashMap;

/// How far back from a site to look for the constant: bpftool loads `edi`
/// up to 23 instructions before the call.
const WINDOW: usize = 160;
/// Starting points tried inside the window, to find agreed boundaries.
const STARTS: usize = 4;
/// Caps per code section, so a pathological file stays cheap.
const MAX_CANDIDATES: usize = 200_000;
const MAX_SITES: usize = 20_000;

/// The register that carries integer argument `n` (0-based): System V for
/// C, Go's internal register ABI for Go functions.
pub fn arg_reg(n: usize, go_abi: bool) -> Register {
    if go_abi {
        [
            Register::RAX,
            Register::RBX,
            Register::RCX,
            Register::RDI,
            Register::RSI,
            Register::R8,
        ][n.min(5)]
    } else {
        [
            Register::RDI,
            Register::RSI,
            Register::RDX,
            Register::RCX,
            Register::R8,
            Register::R9,
        ][n.min(5)]
    }
}

/// PLT entries (`jmp [rip+slot]`, with or without `endbr64`/`bnd`) mapped
/// to the slot they jump through; calls land on the entry's first byte.
pub fn plt_stubs(
    data: &[u8],
    base: u64,
    slots: &HashMap<u64, String>,
    out: &mut HashMap<u64, u64>,
) {
    for i in memchr::memmem::find_iter(data, b"\xff\x25").take(MAX_CANDIDATES) {
        let Some(disp) = data.get(i + 2..i + 6) else {
            continue;
        };
        let disp = i32::from_le_bytes([disp[0], disp[1], disp[2], disp[3]]) as i64;
        let slot = base.wrapping_add(i as u64 + 6).wrapping_add(disp as u64);
        if !slots.contains_key(&slot) {
            continue;
        }
        // `endbr64` (f3 0f 1e fa) and a `bnd` prefix (f2) may come first.
        let mut entry = i;
        if entry >= 1 && data[entry - 1] == 0xf2 {
            entry -= 1;
        }
        if entry >= 4 && data[entry - 4..entry] == [0xf3, 0x0f, 0x1e, 0xfa] {
            entry -= 4;
        }
        out.insert(base.wrapping_add(entry as u64), slot);
        out.insert(base.wrapping_add(i as u64), slot);
    }
}

/// Raw `syscall` instructions in a code section, with `eax` where known.
pub fn raw_sites(code: &[u8], base: u64, starts: &dyn Fn(u64) -> Option<u64>) -> Vec<RawSite> {
    let mut out = Vec::new();
    for off in memchr::memmem::find_iter(code, b"\x0f\x05").take(MAX_CANDIDATES) {
        let addr = base.wrapping_add(off as u64);
        let lo = starts(addr)
            .and_then(|s| s.checked_sub(base))
            .and_then(|s| usize::try_from(s).ok());
        let Some(window) = window(code, base, off, lo) else {
            continue;
        };
        // The bytes must decode as `syscall` at exactly this boundary.
        let mut d = Decoder::with_ip(64, &code[off..], addr, DecoderOptions::NONE);
        if d.decode().code() != Code::Syscall {
            continue;
        }
        let nr = value_of(&window, Register::RAX);
        out.push(RawSite { addr, nr });
        if out.len() >= MAX_SITES {
            break;
        }
    }
    out
}

/// Calls (and tail-call jumps) into the wanted targets: direct `call rel32`
/// to a stub or function, `call [rip+slot]` through an import slot, and
/// `mov reg, [rip+slot]` followed by `call reg`.
pub fn call_sites(
    code: &[u8],
    base: u64,
    t: &Targets,
    starts: &dyn Fn(u64) -> Option<u64>,
) -> Vec<CallSite> {
    let mut out = Vec::new();
    let push = |off: usize, target: usize, out: &mut Vec<CallSite>| {
        if out.len() >= MAX_SITES {
            return;
        }
        let addr = base.wrapping_add(off as u64);
        let lo = starts(addr)
            .and_then(|s| s.checked_sub(base))
            .and_then(|s| usize::try_from(s).ok());
        let Some(window) = window(code, base, off, lo) else {
            return;
        };
        let values = values_of(&window, &t.list[target]);
        out.push(CallSite {
            addr,
            target,
            values,
        });
    };
    if !t.by_addr.is_empty() {
        for op in [0xe8u8, 0xe9] {
            for off in memchr::memchr_iter(op, code).take(MAX_CANDIDATES * 4) {
                let Some(rel) = code.get(off + 1..off + 5) else {
                    continue;
                };
                let rel = i32::from_le_bytes([rel[0], rel[1], rel[2], rel[3]]) as i64;
                let dest = base.wrapping_add(off as u64 + 5).wrapping_add(rel as u64);
                if let Some(&ti) = t.by_addr.get(&dest) {
                    push(off, ti, &mut out);
                }
            }
        }
    }
    if !t.by_slot.is_empty() {
        for pat in [&b"\xff\x15"[..], &b"\xff\x25"[..]] {
            for off in memchr::memmem::find_iter(code, pat).take(MAX_CANDIDATES) {
                let Some(disp) = code.get(off + 2..off + 6) else {
                    continue;
                };
                let disp = i32::from_le_bytes([disp[0], disp[1], disp[2], disp[3]]) as i64;
                let slot = base.wrapping_add(off as u64 + 6).wrapping_add(disp as u64);
                if let Some(&ti) = t.by_slot.get(&slot) {
                    push(off, ti, &mut out);
                }
            }
        }
        loaded_slot_calls(code, base, t, &mut out, starts);
    }
    out.sort_by_key(|s| s.addr);
    out.dedup_by_key(|s| s.addr);
    out
}

/// `mov r64, [rip+slot]` then, a little later, `call r64`: compilers hoist
/// the slot load out of loops (Rust's futex wait does this).
fn loaded_slot_calls(
    code: &[u8],
    base: u64,
    t: &Targets,
    out: &mut Vec<CallSite>,
    starts: &dyn Fn(u64) -> Option<u64>,
) {
    // `mov r64, [rip+disp32]`: REX.W (48 or 4c) 8b, modrm 00 reg 101.
    for off in memchr::memchr_iter(0x8b, code).take(MAX_CANDIDATES * 4) {
        if off == 0 || out.len() >= MAX_SITES {
            continue;
        }
        let rex = code[off - 1];
        if rex != 0x48 && rex != 0x4c {
            continue;
        }
        let Some(&modrm) = code.get(off + 1) else {
            continue;
        };
        if modrm & 0xc7 != 0x05 {
            continue;
        }
        let Some(disp) = code.get(off + 2..off + 6) else {
            continue;
        };
        let disp = i32::from_le_bytes([disp[0], disp[1], disp[2], disp[3]]) as i64;
        let slot = base.wrapping_add(off as u64 + 6).wrapping_add(disp as u64);
        let Some(&ti) = t.by_slot.get(&slot) else {
            continue;
        };
        let start = off - 1;
        let end = (start + 512).min(code.len());
        let mut d = Decoder::with_ip(
            64,
            &code[start..end],
            base.wrapping_add(start as u64),
            DecoderOptions::NONE,
        );
        let first = d.decode();
        if first.code() != Code::Mov_r64_rm64 {
            continue;
        }
        let reg = first.op0_register();
        let mut seen = 0;
        while d.can_decode() && seen < 96 {
            let ins = d.decode();
            seen += 1;
            if ins.is_invalid() || matches!(ins.flow_control(), FlowControl::Return) {
                break;
            }
            if ins.code() == Code::Call_rm64
                && ins.op0_kind() == OpKind::Register
                && ins.op0_register() == reg
            {
                let coff = (ins.ip() - base) as usize;
                let lo = starts(ins.ip())
                    .and_then(|s| s.checked_sub(base))
                    .and_then(|s| usize::try_from(s).ok());
                if let Some(window) = window(code, base, coff, lo) {
                    let values = values_of(&window, &t.list[ti]);
                    out.push(CallSite {
                        addr: ins.ip(),
                        target: ti,
                        values,
                    });
                }
            }
        }
    }
}

/// Targets of direct near calls in a function body decoded from its start.
pub fn direct_calls(code: &[u8], base: u64) -> Vec<u64> {
    let mut d = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut out = Vec::new();
    let mut ins = Instruction::default();
    while d.can_decode() && out.len() < 10_000 {
        d.decode_out(&mut ins);
        if ins.flow_control() == FlowControl::Call && ins.op0_kind() == OpKind::NearBranch64 {
            out.push(ins.near_branch_target());
        }
    }
    out
}

/// The instructions just before `off`, decoded from several starting
/// points and cut to the tail they all agree on. `lo` is a known function
/// start, which makes the decoding exact.
fn window(code: &[u8], base: u64, off: usize, lo: Option<usize>) -> Option<Vec<Instruction>> {
    if let Some(lo) = lo.filter(|&l| l <= off && off - l <= 4 * WINDOW) {
        let start = lo.max(off.saturating_sub(4 * WINDOW));
        if start == lo {
            return decode_to(code, base, start, off);
        }
    }
    // A section starts on an instruction boundary: decode from it exactly.
    if off <= WINDOW {
        return decode_to(code, base, 0, off);
    }
    let first = off - WINDOW;
    let mut runs: Vec<Vec<Instruction>> = Vec::new();
    for s in first..(first + STARTS).min(off) {
        if let Some(r) = decode_to(code, base, s, off) {
            runs.push(r);
        }
    }
    if runs.is_empty() {
        return None;
    }
    // Keep the suffix whose instruction addresses every run shares.
    let mut common: Vec<Instruction> = runs[0].clone();
    for r in &runs[1..] {
        let addrs: std::collections::HashSet<u64> = r.iter().map(|i| i.ip()).collect();
        let cut = common
            .iter()
            .rposition(|i| !addrs.contains(&i.ip()))
            .map_or(0, |p| p + 1);
        common.drain(..cut);
    }
    Some(common)
}

/// Decodes from `start` and returns the instructions if decoding lands
/// exactly on `end`.
fn decode_to(code: &[u8], base: u64, start: usize, end: usize) -> Option<Vec<Instruction>> {
    let slice = code.get(start..end)?;
    let mut d = Decoder::with_ip(
        64,
        slice,
        base.wrapping_add(start as u64),
        DecoderOptions::NONE,
    );
    let mut v = Vec::with_capacity(48);
    let mut ins = Instruction::default();
    while d.can_decode() {
        d.decode_out(&mut ins);
        v.push(ins);
    }
    // `can_decode` stops at the slice end; an instruction that ran past it
    // decodes as invalid, so the last one must be whole.
    (v.last()
        .is_some_and(|i| !i.is_invalid() && i.next_ip() == base.wrapping_add(end as u64)))
    .then_some(v)
}

fn values_of(window: &[Instruction], t: &Target) -> Vec<Option<u64>> {
    t.args
        .iter()
        .map(|&a| value_of(window, arg_reg(a, t.go_abi)))
        .collect()
}

/// Walks back from the site to the instruction that last set `reg`; its
/// value if that was a constant load.
fn value_of(window: &[Instruction], reg: Register) -> Option<u64> {
    let mut info = InstructionInfoFactory::new();
    for ins in window.iter().rev() {
        match ins.flow_control() {
            FlowControl::Next | FlowControl::ConditionalBranch => {}
            // A call clobbers argument registers; a jump or return means the
            // value came from somewhere this straight-line view cannot see.
            _ => return None,
        }
        let writes = info.info(ins).used_registers().iter().any(|u| {
            u.register().full_register() == reg
                && matches!(
                    u.access(),
                    OpAccess::Write
                        | OpAccess::ReadWrite
                        | OpAccess::CondWrite
                        | OpAccess::ReadCondWrite
                )
        });
        if !writes {
            continue;
        }
        return match ins.code() {
            Code::Mov_r32_imm32
            | Code::Mov_r64_imm64
            | Code::Mov_rm64_imm32
            | Code::Mov_rm32_imm32
                if ins.op0_kind() == OpKind::Register =>
            {
                Some(ins.immediate(1))
            }
            // `xor edi, edi` is how compilers load zero.
            Code::Xor_r32_rm32 | Code::Xor_rm32_r32 | Code::Xor_r64_rm64 | Code::Xor_rm64_r64
                if ins.op1_kind() == OpKind::Register
                    && ins.op0_register() == ins.op1_register() =>
            {
                Some(0)
            }
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syscall_target() -> Target {
        Target {
            name: "syscall".into(),
            args: &[0],
            go_abi: false,
        }
    }

    #[test]
    fn resolves_edi_before_a_plt_call() {
        // mov edi,0x141; mov ecx,0x90; mov rdx,rbp; call +0x10
        let code =
            b"\xbf\x41\x01\x00\x00\xb9\x90\x00\x00\x00\x48\x89\xea\xe8\x10\x00\x00\x00\x90\x90";
        let base = 0x1000;
        let dest = base + 13 + 5 + 0x10;
        let mut t = Targets::default();
        t.add(syscall_target(), Some(dest), None);
        let sites = call_sites(code, base, &t, &|_| None);
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].values, vec![Some(0x141)]);
    }

    #[test]
    fn resolves_eax_before_syscall() {
        // push rbp; mov eax,0xca; syscall
        let code = b"\x55\xb8\xca\x00\x00\x00\x0f\x05\xc3";
        let sites = raw_sites(code, 0x400000, &|_| None);
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].nr, Some(0xca));
        // mov eax,ebx; syscall: unknown
        let code = b"\x89\xd8\x0f\x05";
        assert_eq!(raw_sites(code, 0, &|_| None)[0].nr, None);
    }

    #[test]
    fn a_call_between_hides_the_value() {
        // mov edi,1; call +0; call +0x10 (target)
        let code = b"\xbf\x01\x00\x00\x00\xe8\x00\x00\x00\x00\xe8\x10\x00\x00\x00";
        let mut t = Targets::default();
        t.add(syscall_target(), Some(10 + 5 + 0x10), None);
        let sites = call_sites(code, 0, &t, &|_| None);
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].values, vec![None]);
    }
}
