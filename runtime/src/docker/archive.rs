//! Archive transfer with containers: PUT a `.tgz` at a path (creating the path when it is
//! missing, also in created-but-not-started containers, whose volumes the daemon mounts for
//! archive operations) and GET a path as a tar stream.

use futures::StreamExt;

use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};

use super::DockerBackend;
use super::error::{is_not_found, message_of};
use crate::backend::{BackendError, BackendResult};

/// A tar holding one directory entry for `path` (relative to `/`, mode 0755). Docker's
/// extractor creates missing parents itself, so one entry makes the whole chain.
fn directory_tar(path: &str) -> std::io::Result<Vec<u8>> {
    let relative = path.trim_matches('/');
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    header.set_uid(0);
    header.set_gid(0);
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    header.set_mtime(mtime);
    builder.append_data(&mut header, format!("{relative}/"), std::io::empty())?;
    builder.into_inner()
}

impl DockerBackend {
    pub(super) async fn upload_tgz(
        &self,
        container: &str,
        path: &str,
        tgz: Vec<u8>,
    ) -> BackendResult<()> {
        let operation = format!("copying files to `{path}` in container `{container}`");
        if !path.starts_with('/') {
            return Err(BackendError::Docker {
                operation,
                reason: format!("the path `{path}` is not absolute"),
            });
        }
        let put = |target: &str, body: Vec<u8>| {
            let options = UploadToContainerOptionsBuilder::new().path(target).build();
            self.docker.upload_to_container(
                container,
                Some(options),
                bollard::body_full(body.into()),
            )
        };
        match put(path, tgz.clone()).await {
            Ok(()) => return Ok(()),
            Err(error)
                if is_not_found(&error) && !message_of(&error).contains("No such container") => {}
            Err(error) => return Err(self.container_error(&operation, container, error)),
        }
        // The target directory is missing: create it from `/`, then retry once.
        let directory = directory_tar(path).map_err(|e| BackendError::Docker {
            operation: operation.clone(),
            reason: format!("cannot build the directory archive: {e}"),
        })?;
        put("/", directory).await.map_err(|e| {
            self.container_error(
                &format!("creating `{path}` in container `{container}`"),
                container,
                e,
            )
        })?;
        put(path, tgz)
            .await
            .map_err(|e| self.container_error(&operation, container, e))
    }

    pub(super) async fn download_tar(&self, container: &str, path: &str) -> BackendResult<Vec<u8>> {
        let options = DownloadFromContainerOptionsBuilder::new()
            .path(path)
            .build();
        let mut stream = self
            .docker
            .download_from_container(container, Some(options));
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => archive.extend_from_slice(&bytes),
                Err(error) if is_not_found(&error) => {
                    return Err(if message_of(&error).contains("No such container") {
                        BackendError::NoSuchContainer(container.to_owned())
                    } else {
                        BackendError::NoSuchPath {
                            container: container.to_owned(),
                            path: path.to_owned(),
                        }
                    });
                }
                Err(error) => {
                    return Err(self.error(
                        &format!("copying `{path}` out of container `{container}`"),
                        error,
                    ));
                }
            }
        }
        Ok(archive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_tar_holds_one_directory_entry() {
        let bytes = directory_tar("/opt/app/config/").unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, tar::EntryType, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let header = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    header.entry_type(),
                    header.mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![(
                "opt/app/config/".to_owned(),
                tar::EntryType::Directory,
                0o755
            )]
        );
    }
}
