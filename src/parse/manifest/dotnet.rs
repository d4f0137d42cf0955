//! *.csproj / *.fsproj: `<PackageReference>` items.
//!
//! A project that is itself a test project (`<IsTestProject>`, or one
//! referencing the test SDK) contributes only development dependencies, the
//! way a `tests/` directory would.

use super::xml::{self, Xml};
use super::{Dep, Role, Sink};
use crate::model::fact::Ecosystem;

struct Reference {
    name: String,
    version: Option<String>,
    offset: usize,
}

/// Packages whose presence makes the whole project a test project.
const TEST_SDKS: [&str; 4] = [
    "microsoft.net.test.sdk",
    "xunit",
    "nunit",
    "mstest.testframework",
];

pub(crate) fn csproj(sink: &mut Sink) {
    sink.runtime("dotnet");
    let mut refs: Vec<Reference> = Vec::new();
    let mut open: Option<usize> = None;
    let mut test_project = false;
    xml::walk(sink, "project file", |event| match event {
        Xml::Open {
            path,
            element,
            offset,
        } => {
            if path
                .last()
                .is_some_and(|n| n.eq_ignore_ascii_case("PackageReference"))
            {
                // `Update=` edits an item declared elsewhere (central package
                // management); only `Include=` adds one.
                if let Some(name) = xml::attr(element, "Include") {
                    let version = xml::attr(element, "Version");
                    refs.push(Reference {
                        name,
                        version,
                        offset,
                    });
                    open = Some(refs.len() - 1);
                }
            }
        }
        Xml::Close { path, text } => {
            let last = path.last().map(String::as_str).unwrap_or("");
            if last.eq_ignore_ascii_case("PackageReference") {
                open = None;
            } else if last.eq_ignore_ascii_case("Version") {
                if let Some(r) = open.and_then(|i| refs.get_mut(i)) {
                    r.version = Some(text.to_string());
                }
            } else if last.eq_ignore_ascii_case("IsTestProject") {
                test_project |= text.eq_ignore_ascii_case("true");
            }
        }
    });
    test_project |= refs
        .iter()
        .any(|r| TEST_SDKS.contains(&r.name.to_ascii_lowercase().as_str()));
    let role = if test_project {
        Role::Dev
    } else {
        Role::Normal
    };
    for r in refs {
        let line = sink.line_of(r.offset);
        sink.dep(
            Dep::new(Ecosystem::Nuget, r.name)
                .version(r.version)
                .role(role),
            line,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    const CSPROJ: &str = r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Npgsql" Version="8.0.3" />
    <PackageReference
        Include="SkiaSharp"
        Version="2.88.8" />
    <PackageReference Include="Grpc.Core">
      <Version>2.46.6</Version>
    </PackageReference>
    <PackageReference Update="Newtonsoft.Json" Version="13.0.3" />
  </ItemGroup>
</Project>
"#;

    #[test]
    fn package_references() {
        let out = parse(ManifestKind::Csproj, "Api.csproj", CSPROJ, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            (
                "Npgsql".into(),
                Some("8.0.3".into()),
                false,
                Context::Service,
                6
            )
        );
        assert_eq!(rows[1].0, "SkiaSharp");
        assert_eq!(rows[1].4, 7);
        assert_eq!(rows[2].1.as_deref(), Some("2.46.6"));
        assert_eq!(runtimes(&out), vec![("dotnet".to_string(), 10)]);
    }

    #[test]
    fn test_projects_are_dev() {
        let text = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.9.0" />
    <PackageReference Include="Moq" Version="4.20.0" />
  </ItemGroup>
</Project>"#;
        let out = parse(
            ManifestKind::Csproj,
            "Api.Tests.csproj",
            text,
            Context::Service,
        );
        assert!(deps(&out).iter().all(|r| r.3 == Context::Test && r.2));
        let broken = parse(
            ManifestKind::Csproj,
            "x.csproj",
            "<Project><ItemGroup>",
            Context::Service,
        );
        assert_eq!(broken.diagnostics.len(), 1);
        no_panic(ManifestKind::Csproj, CSPROJ);
    }
}
