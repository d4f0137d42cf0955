//! pom.xml: `<dependency>` elements of the project and its profiles, named
//! `groupId:artifactId` as the rules write Maven coordinates.
//!
//! Versions are often `${netty.version}`, so `<properties>` and the project's
//! own coordinates are substituted, and a version left out because
//! `<dependencyManagement>` pins it is filled in from there. Scopes: `test`
//! is test-only, `provided` is compiled against but supplied by whatever
//! runs the artifact (the servlet container), so it is build-only here, and
//! `<optional>true</optional>` ships only when a consumer opts in.

use super::xml::{self, Xml};
use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};
use std::collections::HashMap;

#[derive(Default)]
struct RawDep {
    group: String,
    artifact: String,
    version: Option<String>,
    scope: Option<String>,
    optional: bool,
    /// Where `<artifactId>` starts (or the `<dependency>` when it has none).
    offset: usize,
}

#[derive(Default)]
struct Pom {
    props: HashMap<String, String>,
    deps: Vec<RawDep>,
    managed: Vec<RawDep>,
}

pub(crate) fn pom(sink: &mut Sink) {
    sink.runtime(Ecosystem::Maven);
    let mut pom = Pom::default();
    // The dependency being read, and whether it is a managed one.
    let mut current: Option<(RawDep, bool)> = None;
    xml::walk(sink, "pom.xml", |event| match event {
        Xml::Open { path, offset, .. } => {
            if is_dependency(path).is_some() {
                current = Some((
                    RawDep {
                        offset,
                        ..RawDep::default()
                    },
                    is_dependency(path) == Some(true),
                ));
            } else if xml::ends_with(path, &["dependency", "artifactId"]) {
                if let Some((dep, _)) = current.as_mut() {
                    dep.offset = offset;
                }
            }
        }
        Xml::Close { path, text } => {
            if is_dependency(path).is_some() {
                if let Some((dep, managed)) = current.take() {
                    if managed {
                        pom.managed.push(dep);
                    } else {
                        pom.deps.push(dep);
                    }
                }
                return;
            }
            if let (Some((dep, _)), Some(field)) = (current.as_mut(), path.last()) {
                if path.len() >= 2 && path[path.len() - 2] == "dependency" {
                    match field.as_str() {
                        "groupId" => dep.group = text.to_string(),
                        "artifactId" => dep.artifact = text.to_string(),
                        "version" => dep.version = Some(text.to_string()),
                        "scope" => dep.scope = Some(text.to_string()),
                        "optional" => dep.optional = subst(text, &pom.props) == "true",
                        _ => {}
                    }
                }
                return;
            }
            record_property(&mut pom.props, path, text);
        }
    });

    let managed: HashMap<(String, String), Option<String>> = pom
        .managed
        .iter()
        .map(|d| {
            let key = (subst(&d.group, &pom.props), subst(&d.artifact, &pom.props));
            (key, d.version.as_deref().map(|v| subst(v, &pom.props)))
        })
        .collect();
    for dep in &pom.deps {
        let group = subst(&dep.group, &pom.props);
        let artifact = subst(&dep.artifact, &pom.props);
        if artifact.is_empty() {
            continue;
        }
        let version = match &dep.version {
            Some(v) => Some(subst(v, &pom.props)),
            None => managed
                .get(&(group.clone(), artifact.clone()))
                .cloned()
                .flatten(),
        };
        let scope = match dep
            .scope
            .as_deref()
            .map(|s| subst(s, &pom.props))
            .as_deref()
        {
            Some("test") => Scope::Test,
            Some("provided") => Scope::Build,
            _ if dep.optional => Scope::Optional,
            _ => Scope::Runtime,
        };
        let line = sink.line_of(dep.offset);
        let name = format!("{group}:{artifact}");
        sink.dep(
            Dep::new(Ecosystem::Maven, name)
                .version(version)
                .scope(scope),
            line,
        );
    }
}

/// `Some(false)` for a real dependency element, `Some(true)` for a managed
/// one, `None` for anything else (plugin dependencies are build tooling).
fn is_dependency(path: &[String]) -> Option<bool> {
    let real = xml::is(path, &["project", "dependencies", "dependency"])
        || xml::is(
            path,
            &[
                "project",
                "profiles",
                "profile",
                "dependencies",
                "dependency",
            ],
        );
    if real {
        return Some(false);
    }
    xml::is(
        path,
        &[
            "project",
            "dependencyManagement",
            "dependencies",
            "dependency",
        ],
    )
    .then_some(true)
}

/// `<properties>` entries and the coordinates `${project.*}` refers to.
fn record_property(props: &mut HashMap<String, String>, path: &[String], text: &str) {
    let [first, rest @ ..] = path else {
        return;
    };
    if first != "project" {
        return;
    }
    match rest {
        [p, name] if p == "properties" => {
            props.insert(name.clone(), text.to_string());
        }
        // Profile properties apply only when the profile is active; take
        // them only when the main section does not say.
        [a, b, p, name] if a == "profiles" && b == "profile" && p == "properties" => {
            props
                .entry(name.clone())
                .or_insert_with(|| text.to_string());
        }
        [field] if matches!(field.as_str(), "groupId" | "artifactId" | "version") => {
            props.insert(format!("project.{field}"), text.to_string());
            props.insert(format!("pom.{field}"), text.to_string());
        }
        [parent, field]
            if parent == "parent"
                && matches!(field.as_str(), "groupId" | "artifactId" | "version") =>
        {
            props.insert(format!("project.parent.{field}"), text.to_string());
            // A child pom without its own groupId/version inherits them.
            for prefix in ["project", "pom"] {
                if field != "artifactId" {
                    props
                        .entry(format!("{prefix}.{field}"))
                        .or_insert_with(|| text.to_string());
                }
            }
        }
        _ => {}
    }
}

/// Expands `${name}` from the properties; unknown names stay as written.
/// Bounded: properties can refer to each other, even in a cycle.
fn subst(value: &str, props: &HashMap<String, String>) -> String {
    const MAX_ROUNDS: usize = 8;
    const MAX_LEN: usize = 1024;
    let mut out = value.trim().to_string();
    for _ in 0..MAX_ROUNDS {
        if !out.contains("${") {
            break;
        }
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut changed = false;
        while let Some(start) = rest.find("${") {
            next.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                next.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let key = &after[..end];
            match props.get(key) {
                // The round's result is bounded as it is built, not after:
                // one line of many references to a long property is large.
                Some(v) if next.len() + v.trim().len() > MAX_LEN => return out,
                Some(v) => {
                    next.push_str(v.trim());
                    changed = true;
                }
                None => next.push_str(&rest[start..start + 2 + end + 1]),
            }
            rest = &after[end + 1..];
        }
        next.push_str(rest);
        if next.len() > MAX_LEN {
            break;
        }
        out = next;
        if !changed {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
  </parent>
  <artifactId>orders</artifactId>
  <properties>
    <netty.version>4.1.109.Final</netty.version>
    <native.classifier>linux-x86_64</native.classifier>
    <jna.version>${jna.base}.0</jna.version>
    <jna.base>5.14</jna.base>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.postgresql</groupId>
        <artifactId>postgresql</artifactId>
        <version>42.7.3</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>io.netty</groupId>
      <artifactId>netty-transport-native-epoll</artifactId>
      <version>${netty.version}</version>
      <classifier>${native.classifier}</classifier>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
    </dependency>
    <dependency>
      <groupId>net.java.dev.jna</groupId>
      <artifactId>jna</artifactId>
      <version>${jna.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>orders-&amp;-common</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>jakarta.servlet</groupId>
      <artifactId>jakarta.servlet-api</artifactId>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>io.methvin</groupId>
      <artifactId>directory-watcher</artifactId>
      <optional>true</optional>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-surefire-plugin</artifactId>
        <dependencies>
          <dependency><groupId>x</groupId><artifactId>plugin-dep</artifactId></dependency>
        </dependencies>
      </plugin>
    </plugins>
  </build>
</project>
"#;

    #[test]
    fn dependencies_with_properties() {
        let out = parse(ManifestKind::PomXml, "pom.xml", POM, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(
            get("org.springframework.boot:spring-boot-starter-web").4,
            28
        );
        let epoll = get("io.netty:netty-transport-native-epoll");
        assert_eq!(epoll.1.as_deref(), Some("4.1.109.Final"));
        assert_eq!(epoll.4, 32);
        assert_eq!(
            get("org.postgresql:postgresql").1.as_deref(),
            Some("42.7.3")
        );
        assert_eq!(get("net.java.dev.jna:jna").1.as_deref(), Some("5.14.0"));
        let own = get("org.springframework.boot:orders-&-common");
        assert_eq!(own.1.as_deref(), Some("3.2.5"));
        assert_eq!(get("org.junit.jupiter:junit-jupiter").3, Context::Test);
        assert_eq!(get("jakarta.servlet:jakarta.servlet-api").3, Context::Build);
        assert_eq!(get("io.methvin:directory-watcher").3, Context::Optional);
        assert!(rows.iter().all(|r| !r.0.ends_with("plugin-dep")));
        assert_eq!(rows.len(), 8);
        assert_eq!(
            find(&out, "io.netty:netty-transport-native-epoll")
                .at
                .snippet,
            "<artifactId>netty-transport-native-epoll</artifactId>"
        );
        assert_eq!(runtimes(&out), vec![("maven".to_string(), 10)]);
    }

    #[test]
    fn substitution_is_bounded() {
        let mut props = HashMap::new();
        props.insert("a".to_string(), "${a}${a}".to_string());
        let s = subst("${a}", &props);
        assert!(s.len() <= 2048);
        assert_eq!(subst("${missing}-x", &props), "${missing}-x");
        assert_eq!(subst("${unterminated", &props), "${unterminated");
        // Many references to one long value: cut while the round is built.
        props.insert("big".to_string(), "b".repeat(64 << 10));
        let many = "${big}".repeat(1000);
        assert!(subst(&many, &props).len() <= many.len().max(1024));
    }

    #[test]
    fn invalid_xml_is_malformed() {
        let text = "<project><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId></dependency>\n<dependency><groupId>c</wrong></dependencies></project>";
        let out = parse(ManifestKind::PomXml, "pom.xml", text, Context::Service);
        assert_eq!(out.diagnostics.len(), 1);
        assert!(
            out.diagnostics[0].message.contains("line 2"),
            "{}",
            out.diagnostics[0].message
        );
        assert_eq!(deps(&out).len(), 1);
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><project><properties><x>&lol2;</x></properties></project>";
        let _ = parse(ManifestKind::PomXml, "pom.xml", laughs, Context::Service);
        no_panic(ManifestKind::PomXml, POM);
    }
}
