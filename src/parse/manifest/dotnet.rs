//! *.csproj / *.fsproj: `<PackageReference>` items.
//!
//! A project that is itself a test project (`<IsTestProject>`, a reference to
//! the test SDK, or a name like `Api.Tests.csproj`) contributes only test
//! dependencies, the way a `tests/` directory would. A reference with
//! `PrivateAssets="all"` is an analyzer, a source generator or another build
//! tool: it never flows into what ships.

use super::xml::{self, Xml};
use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};

struct Reference {
    name: String,
    version: Option<String>,
    offset: usize,
    private: bool,
}

/// `PrivateAssets` lists asset kinds kept from consumers; `all` keeps
/// everything, which only build-time packages do.
fn all_private(value: &str) -> bool {
    value
        .split(';')
        .any(|v| v.trim().eq_ignore_ascii_case("all"))
}

/// `Api.Tests.csproj`, `Orders.UnitTests.fsproj`, `Web.Specs.csproj`.
fn test_project_name(rel: &str) -> bool {
    let file = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let stem = file.rsplit_once('.').map_or(file.as_str(), |(s, _)| s);
    let last = stem.rsplit('.').next().unwrap_or(stem);
    stem.contains('.')
        && (last == "test" || last.ends_with("tests") || last == "spec" || last == "specs")
}

/// Packages whose presence makes the whole project a test project.
const TEST_SDKS: [&str; 4] = [
    "microsoft.net.test.sdk",
    "xunit",
    "nunit",
    "mstest.testframework",
];

pub(crate) fn csproj(sink: &mut Sink) {
    sink.runtime(Ecosystem::Nuget);
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
                    let private =
                        xml::attr(element, "PrivateAssets").is_some_and(|v| all_private(&v));
                    refs.push(Reference {
                        name,
                        version,
                        offset,
                        private,
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
            } else if last.eq_ignore_ascii_case("PrivateAssets") {
                if let Some(r) = open.and_then(|i| refs.get_mut(i)) {
                    r.private |= all_private(text);
                }
            } else if last.eq_ignore_ascii_case("IsTestProject") {
                test_project |= text.eq_ignore_ascii_case("true");
            }
        }
    });
    test_project |= test_project_name(sink.rel)
        || refs
            .iter()
            .any(|r| TEST_SDKS.contains(&r.name.to_ascii_lowercase().as_str()));
    for r in refs {
        let line = sink.line_of(r.offset);
        let scope = if test_project {
            Scope::Test
        } else if r.private {
            Scope::Build
        } else {
            Scope::Runtime
        };
        sink.dep(
            Dep::new(Ecosystem::Nuget, r.name)
                .version(r.version)
                .scope(scope),
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
    <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="All" />
    <PackageReference Include="Microsoft.SourceLink.GitHub" Version="8.0.0">
      <PrivateAssets>all</PrivateAssets>
    </PackageReference>
  </ItemGroup>
</Project>
"#;

    #[test]
    fn package_references() {
        let out = parse(ManifestKind::Csproj, "Api.csproj", CSPROJ, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[3].0, "StyleCop.Analyzers");
        assert_eq!(rows[3].3, Context::Build);
        assert_eq!(rows[4].3, Context::Build);
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
        assert_eq!(runtimes(&out), vec![("nuget".to_string(), 10)]);
    }

    #[test]
    fn test_projects_are_dev() {
        let text = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.9.0" />
    <PackageReference Include="Moq" Version="4.20.0" />
  </ItemGroup>
</Project>"#;
        let out = parse(ManifestKind::Csproj, "Api.csproj", text, Context::Service);
        assert!(deps(&out).iter().all(|r| r.3 == Context::Test && r.2));
        // The project's name alone says it holds tests.
        let named = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><PackageReference Include="Npgsql" Version="8.0.3" /></ItemGroup>
</Project>"#;
        for (file, want) in [
            ("tests/Api.Tests.csproj", Context::Test),
            ("Orders.UnitTests.fsproj", Context::Test),
            ("Api.csproj", Context::Service),
            ("Tests.csproj", Context::Service),
            ("Api.Contest.csproj", Context::Service),
        ] {
            let out = parse(ManifestKind::Csproj, file, named, Context::Service);
            assert_eq!(deps(&out)[0].3, want, "{file}");
        }
        let broken = service(ManifestKind::Csproj, "x.csproj", "<Project><ItemGroup>");
        assert_eq!(broken.diagnostics.len(), 1);
        no_panic(ManifestKind::Csproj, CSPROJ);
    }
}
