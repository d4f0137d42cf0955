//! aarch64 code reading: `svc #0` with the syscall number in `x8`, and
//! `bl` into import stubs with the constant in an argument register.
//!
//! A64 instructions are 4 bytes and aligned, so unlike x86 no window
//! decoding is needed: walk back word by word.

use super::callsite::{CallSite, RawSite, Targets};
use std::collections::HashMap;

const SVC0: u32 = 0xd400_0001;
const MAX_SITES: usize = 20_000;
/// Instructions to look back for the constant.
const BACK: usize = 24;

/// x8 carries the syscall number; x0..x7 carry arguments in both the C and
/// Go ABIs, so argument `n` is register `n`.
pub const NR_REG: u32 = 8;

fn words(code: &[u8]) -> impl Iterator<Item = (usize, u32)> + '_ {
    code.chunks_exact(4)
        .enumerate()
        .map(|(i, w)| (i * 4, u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
}

fn word(code: &[u8], off: usize) -> Option<u32> {
    let w = code.get(off..off + 4)?;
    Some(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// PLT entries (`adrp x16, page; ldr x17, [x16, #off]; ...; br x17`)
/// mapped to the slot they load.
pub fn plt_stubs(
    data: &[u8],
    base: u64,
    slots: &HashMap<u64, String>,
    out: &mut HashMap<u64, u64>,
) {
    for (off, w) in words(data) {
        if w & 0x9f00_001f != 0x9000_0010 {
            continue;
        }
        let Some(ldr) = word(data, off + 4) else {
            continue;
        };
        if ldr & 0xffc0_03ff != 0xf940_0211 {
            continue;
        }
        let pc = base.wrapping_add(off as u64);
        let immlo = u64::from((w >> 29) & 3);
        let immhi = u64::from((w >> 5) & 0x7ffff);
        let imm = sext((immhi << 2) | immlo, 21) << 12;
        let page = (pc & !0xfff).wrapping_add(imm as u64);
        let slot = page.wrapping_add(u64::from((ldr >> 10) & 0xfff) * 8);
        if slots.contains_key(&slot) {
            out.insert(pc, slot);
            // With BTI the entry starts with `bti c`.
            if off >= 4 && word(data, off - 4) == Some(0xd503_245f) {
                out.insert(pc - 4, slot);
            }
        }
    }
}

fn sext(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// `svc #0` sites with the number in `x8` where a `mov` sets it.
pub fn raw_sites(code: &[u8], base: u64) -> Vec<RawSite> {
    let mut out = Vec::new();
    for (off, w) in words(code) {
        if w == SVC0 {
            out.push(RawSite {
                addr: base.wrapping_add(off as u64),
                nr: value_before(code, off, NR_REG),
            });
            if out.len() >= MAX_SITES {
                break;
            }
        }
    }
    out
}

/// `bl`/`b` into a wanted target.
pub fn call_sites(code: &[u8], base: u64, t: &Targets) -> Vec<CallSite> {
    let mut out = Vec::new();
    if t.by_addr.is_empty() {
        return out;
    }
    for (off, w) in words(code) {
        let op = w & 0xfc00_0000;
        if op != 0x9400_0000 && op != 0x1400_0000 {
            continue;
        }
        let pc = base.wrapping_add(off as u64);
        let dest = pc.wrapping_add((sext(u64::from(w & 0x03ff_ffff), 26) * 4) as u64);
        if let Some(&ti) = t.by_addr.get(&dest) {
            let values = t.list[ti]
                .args
                .iter()
                .map(|&a| value_before(code, off, a.min(7) as u32))
                .collect();
            out.push(CallSite {
                addr: pc,
                target: ti,
                values,
            });
            if out.len() >= MAX_SITES {
                break;
            }
        }
    }
    out
}

/// Targets of `bl` instructions in a function body.
pub fn direct_calls(code: &[u8], base: u64) -> Vec<u64> {
    words(code)
        .filter(|(_, w)| w & 0xfc00_0000 == 0x9400_0000)
        .map(|(off, w)| {
            base.wrapping_add(off as u64)
                .wrapping_add((sext(u64::from(w & 0x03ff_ffff), 26) * 4) as u64)
        })
        .collect()
}

/// The constant a `movz` put in register `reg` before `off`, walking back
/// until a branch or another write to it.
fn value_before(code: &[u8], off: usize, reg: u32) -> Option<u64> {
    for k in 1..=BACK {
        let w = word(code, off.checked_sub(k * 4)?)?;
        if is_branch(w) {
            return None;
        }
        if w & 31 != reg {
            continue;
        }
        // movz (32- or 64-bit) with a shift of 0, 16, 32 or 48.
        if w & 0x7f80_0000 == 0x5280_0000 {
            let hw = (w >> 21) & 3;
            return Some(u64::from((w >> 5) & 0xffff) << (hw * 16));
        }
        // `mov w8, wzr` / `orr w8, wzr, wzr` load zero.
        if w & 0x7fff_ffe0 == 0x2a1f_03e0 {
            return Some(0);
        }
        // Stores name a register without writing it; anything else with
        // this destination overwrites it with something not constant.
        if is_store(w) {
            continue;
        }
        return None;
    }
    None
}

fn is_branch(w: u32) -> bool {
    let op = w & 0xfc00_0000;
    op == 0x1400_0000
        || op == 0x9400_0000
        || matches!(w & 0xffff_fc1f, 0xd61f_0000 | 0xd63f_0000 | 0xd65f_0000)
}

fn is_store(w: u32) -> bool {
    // Loads and stores: op0 = x1x0 (bits 27 and 25); L (bit 22) clear.
    (w >> 25) & 0b101 == 0b100 && (w >> 22) & 1 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn svc_with_movz_x8() {
        // mov x8, #280 (bpf); svc #0
        let c = code(&[0xd280_2308, SVC0]);
        let s = raw_sites(&c, 0x1000);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].nr, Some(280));
        // ret; svc #0: unknown
        let c = code(&[0xd65f_03c0, SVC0]);
        assert_eq!(raw_sites(&c, 0)[0].nr, None);
    }

    #[test]
    fn bl_to_stub_with_w0() {
        // mov w0, #0x118; bl +8; nop; <target>
        let c = code(&[0x5280_2300, 0x9400_0002, 0xd503_201f, 0xd503_201f]);
        let mut t = Targets::default();
        t.add(
            crate::parse::binary::callsite::Target {
                name: "syscall".into(),
                args: &[0],
                go_abi: false,
            },
            Some(0x100c),
            None,
        );
        let s = call_sites(&c, 0x1000, &t);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].values, vec![Some(0x118)]);
    }
}
