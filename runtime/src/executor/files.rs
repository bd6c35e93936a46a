//! Files-artifact instructions: `render_templates`, `upload_files` and
//! `store_service_files` (starlark-api.md §4.11, §4.15, §4.16, §7).

use super::{Ctx, Failure, Step, values};
use crate::artifacts;
use crate::backend::Backend;
use hortus_plan::instruction::{RenderTemplates, StoreServiceFiles, UploadFiles, UploadSource};

fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure::new(format!("{what}: {e}"))
}

pub(crate) fn render_templates<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    r: &RenderTemplates,
) -> Step<String> {
    let mut files = Vec::new();
    for (path, file) in &r.config {
        let data = values::substitute(&ctx.enclave.state.runtime_values, &file.data)?;
        let rendered = hortus_plan::template::render(&file.template, &data)
            .map_err(|e| Failure::new(format!("rendering template for `{path}` failed: {e}")))?;
        files.push((path.clone(), rendered.into_bytes()));
    }
    let tgz = artifacts::pack_files(&files).map_err(|e| io_failure("packing templates", e))?;
    let (uuid, _) = ctx.enclave.state.put_artifact(&r.name, &tgz)?;
    Ok(format!(
        "Templates artifact name '{}' rendered with artifact UUID '{uuid}'",
        r.name
    ))
}

/// The file name a URL download is stored under: the last path segment, or `download`.
fn url_file_name(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    match after_scheme.split_once('/') {
        Some((_, path)) => path
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("download")
            .to_owned(),
        None => "download".to_owned(),
    }
}

pub(crate) async fn upload_files<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    u: &UploadFiles,
) -> Step<String> {
    let tgz = match &u.source {
        UploadSource::Local { path, .. } => artifacts::pack_path(path)
            .map_err(|e| io_failure(&format!("packing `{}`", path.display()), e))?,
        UploadSource::Url { url } => {
            let resp = ctx
                .http
                .client()?
                .get(url)
                .timeout(std::time::Duration::from_secs(300))
                .send()
                .await
                .map_err(|e| Failure::new(format!("downloading `{url}` failed: {e}")))?;
            if !resp.status().is_success() {
                return Err(Failure::new(format!(
                    "downloading `{url}` failed with status `{}`",
                    resp.status()
                )));
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| Failure::new(format!("downloading `{url}` failed: {e}")))?;
            artifacts::pack_bytes(&url_file_name(url), &bytes)
                .map_err(|e| io_failure("packing the download", e))?
        }
    };
    let (uuid, change) = ctx.enclave.state.put_artifact(&u.name, &tgz)?;
    Ok(match change {
        Some(false) => format!(
            "Files with artifact name '{}' resolved with artifact UUID '{uuid}' as content were matching",
            u.name
        ),
        Some(true) => format!(
            "Files with artifact name '{}' with artifact UUID '{uuid}' updated",
            u.name
        ),
        None => format!(
            "Files with artifact name '{}' uploaded with artifact UUID '{uuid}'",
            u.name
        ),
    })
}

/// Copies `src` out of a container into the artifact `name`; returns its uuid.
pub(crate) async fn store_from_container<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    container: &str,
    src: &str,
    name: &str,
) -> Step<String> {
    let (path, contents_only) = artifacts::store_source(src);
    let tar = ctx.backend.download_archive(container, &path).await?;
    let tgz = artifacts::store_layout(&tar, contents_only)
        .map_err(|e| io_failure(&format!("packing `{src}`"), e))?;
    let (uuid, _) = ctx.enclave.state.put_artifact(name, &tgz)?;
    Ok(uuid)
}

pub(crate) async fn store_service_files<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    s: &StoreServiceFiles,
) -> Step<String> {
    let container = ctx
        .enclave
        .state
        .services
        .get(&s.service_name)
        .map(|r| r.container_id.clone())
        .ok_or_else(|| {
            Failure::new(format!(
                "service `{}` does not exist in the enclave",
                s.service_name
            ))
        })?;
    let uuid = store_from_container(ctx, &container, &s.src, &s.name).await?;
    Ok(format!(
        "Files with artifact name '{}' uploaded with artifact UUID '{uuid}'",
        s.name
    ))
}

#[cfg(test)]
mod tests {
    use super::url_file_name;

    #[test]
    fn download_names() {
        assert_eq!(url_file_name("https://h/a/b.txt?x=1"), "b.txt");
        assert_eq!(url_file_name("https://h"), "download");
        assert_eq!(url_file_name("https://h/dir/"), "download");
    }
}
