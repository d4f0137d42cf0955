//! JVM class files: the platform methods a class calls, from its constant
//! pool (`Methodref`/`InterfaceMethodref` entries), named
//! `java/lang/ProcessBuilder.start`. Only platform classes (`java/`,
//! `javax/`, `jdk/`, `sun/`, `com/sun/`) are kept: they are where
//! capabilities live, and an application's own calls would only add noise.

const PLATFORM: &[&str] = &["java/", "javax/", "jdk/", "sun/", "com/sun/"];
/// A constant pool holds at most 65535 entries by format.
const MAX_POOL: usize = 65_535;

#[derive(Clone, Copy)]
enum Const {
    None,
    Utf8(usize, usize),
    Class(u16),
    NameType(u16),
    MethodRef(u16, u16),
}

pub fn method_refs(b: &[u8]) -> Result<Vec<String>, &'static str> {
    if b.get(..4) != Some(&b"\xca\xfe\xba\xbe"[..]) {
        return Err("no class magic");
    }
    let u16_at = |at: usize| -> Result<u16, &'static str> {
        b.get(at..at + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .ok_or("truncated constant pool")
    };
    let count = usize::from(u16_at(8)?).min(MAX_POOL);
    let mut pool = vec![Const::None; count.max(1)];
    let mut at = 10;
    let mut i = 1;
    while i < count {
        let tag = *b.get(at).ok_or("truncated constant pool")?;
        let (c, len, slots) = match tag {
            1 => {
                let n = usize::from(u16_at(at + 1)?);
                (Const::Utf8(at + 3, n), 3 + n, 1)
            }
            3 | 4 => (Const::None, 5, 1),
            5 | 6 => (Const::None, 9, 2),
            7 => (Const::Class(u16_at(at + 1)?), 3, 1),
            8 | 16 | 19 | 20 => (Const::None, 3, 1),
            9 => (Const::None, 5, 1),
            10 | 11 => (Const::MethodRef(u16_at(at + 1)?, u16_at(at + 3)?), 5, 1),
            12 => (Const::NameType(u16_at(at + 1)?), 5, 1),
            15 => (Const::None, 4, 1),
            17 | 18 => (Const::None, 5, 1),
            _ => return Err("unknown constant pool tag"),
        };
        pool[i] = c;
        at += len;
        i += slots;
    }
    let utf8 = |idx: u16| -> Option<&str> {
        match pool.get(usize::from(idx))? {
            Const::Utf8(s, n) => std::str::from_utf8(b.get(*s..s + n)?).ok(),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for c in &pool {
        let Const::MethodRef(class, nt) = *c else {
            continue;
        };
        let Some(Const::Class(cname)) = pool.get(usize::from(class)).copied() else {
            continue;
        };
        let Some(Const::NameType(mname)) = pool.get(usize::from(nt)).copied() else {
            continue;
        };
        let (Some(cls), Some(m)) = (utf8(cname), utf8(mname)) else {
            continue;
        };
        if PLATFORM.iter().any(|p| cls.starts_with(p)) {
            out.push(format!("{cls}.{m}"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A constant pool with `java/lang/ProcessBuilder.start` and an
    /// application method.
    fn class() -> Vec<u8> {
        let mut b = b"\xca\xfe\xba\xbe\x00\x00\x00\x41".to_vec();
        let utf = |s: &str| {
            let mut v = vec![1, 0, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            v
        };
        let mut pool = Vec::new();
        pool.extend(utf("java/lang/ProcessBuilder")); // 1
        pool.extend([7, 0, 1]); // 2 Class
        pool.extend(utf("start")); // 3
        pool.extend(utf("()Ljava/lang/Process;")); // 4
        pool.extend([12, 0, 3, 0, 4]); // 5 NameAndType
        pool.extend([10, 0, 2, 0, 5]); // 6 Methodref
        pool.extend(utf("com/x/App")); // 7
        pool.extend([7, 0, 7]); // 8
        pool.extend([10, 0, 8, 0, 5]); // 9 com/x/App.start
        pool.extend([5, 0, 0, 0, 0, 0, 0, 0, 1]); // 10-11 Long
        b.extend_from_slice(&12u16.to_be_bytes());
        b.extend(pool);
        b
    }

    #[test]
    fn platform_method_refs() {
        assert_eq!(
            method_refs(&class()).unwrap(),
            vec!["java/lang/ProcessBuilder.start".to_string()]
        );
        let c = class();
        for cut in 0..c.len() {
            let _ = method_refs(&c[..cut]);
        }
    }
}
