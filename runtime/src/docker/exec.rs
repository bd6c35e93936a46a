//! Running commands in containers (exec with stdout and stderr merged in arrival order, exit
//! code from the exec inspection, optional timeout) and reading container logs.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::LogsOptionsBuilder;
use futures::StreamExt;

use super::DockerBackend;
use crate::backend::{BackendError, BackendResult, ExecOutput};

/// Response-head timeout of a followed log stream.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(3600);

/// Appends the payload of a log frame (stdin echoes are dropped).
fn append_frame(output: &mut Vec<u8>, frame: &LogOutput) {
    match frame {
        LogOutput::StdOut { message }
        | LogOutput::StdErr { message }
        | LogOutput::Console { message } => {
            output.extend_from_slice(message);
        }
        LogOutput::StdIn { .. } => {}
    }
}

/// A short, shell-like rendering of `argv` for messages.
fn show_command(argv: &[String]) -> String {
    let joined = argv.join(" ");
    match joined.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", joined.get(..cut).unwrap_or(&joined)),
        None => joined,
    }
}

impl DockerBackend {
    pub(super) async fn exec_argv(
        &self,
        container: &str,
        argv: &[String],
        timeout: Option<Duration>,
    ) -> BackendResult<ExecOutput> {
        let operation = format!(
            "running `{}` in container `{container}`",
            show_command(argv)
        );
        if argv.is_empty() {
            return Err(BackendError::Docker {
                operation,
                reason: "the command is empty".to_owned(),
            });
        }
        let run = self.exec_to_end(container, argv, &operation);
        match timeout {
            None => run.await,
            Some(after) => match tokio::time::timeout(after, run).await {
                Ok(result) => result,
                Err(_) => Err(BackendError::Timeout { operation, after }),
            },
        }
    }

    async fn exec_to_end(
        &self,
        container: &str,
        argv: &[String],
        operation: &str,
    ) -> BackendResult<ExecOutput> {
        let created = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(argv.to_vec()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| self.container_error(operation, container, e))?;
        let started = self
            .docker
            .start_exec(&created.id, None)
            .await
            .map_err(|e| self.container_error(operation, container, e))?;
        let mut output = Vec::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = started
        {
            while let Some(frame) = stream.next().await {
                let frame = frame.map_err(|e| self.error(operation, e))?;
                append_frame(&mut output, &frame);
            }
        }
        let inspected = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| self.error(operation, e))?;
        let Some(exit_code) = inspected.exit_code else {
            return Err(BackendError::Docker {
                operation: operation.to_owned(),
                reason: "the engine reported no exit code".to_owned(),
            });
        };
        Ok(ExecOutput {
            exit_code,
            output: String::from_utf8_lossy(&output).into_owned(),
        })
    }

    /// Follows a container's logs (stdout and stderr), starting with the last `tail` lines
    /// (all when `None`); the stream ends when the container stops. Each item is one chunk
    /// of text as the engine sent it.
    pub fn follow_logs(
        &self,
        container: &str,
        tail: Option<usize>,
    ) -> futures::stream::BoxStream<'static, BackendResult<String>> {
        let tail = tail.map_or_else(|| "all".to_owned(), |n| n.to_string());
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .follow(true)
            .tail(&tail)
            .build();
        // Following may idle for long between lines: no response-head timeout worth hitting.
        let client = self.client_with_timeout(FOLLOW_TIMEOUT);
        let operation = format!("following the logs of container `{container}`");
        let container = container.to_owned();
        let address = self.address.clone();
        client
            .logs(&container, Some(options))
            .map(move |frame| {
                let mut text = Vec::new();
                match frame {
                    Ok(frame) => {
                        append_frame(&mut text, &frame);
                        Ok(String::from_utf8_lossy(&text).into_owned())
                    }
                    Err(error)
                        if super::error::is_not_found(&error)
                            && super::error::message_of(&error).contains("No such container") =>
                    {
                        Err(BackendError::NoSuchContainer(container.clone()))
                    }
                    Err(error) => Err(super::error::convert(
                        &operation,
                        &address,
                        FOLLOW_TIMEOUT,
                        error,
                    )),
                }
            })
            .boxed()
    }

    pub(super) async fn tail_logs(&self, container: &str, tail: usize) -> BackendResult<String> {
        let operation = format!("reading the logs of container `{container}`");
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .tail(&tail.to_string())
            .build();
        let mut stream = self.docker.logs(container, Some(options));
        let mut output = Vec::new();
        while let Some(frame) = stream.next().await {
            let frame = frame.map_err(|e| self.container_error(&operation, container, e))?;
            append_frame(&mut output, &frame);
        }
        Ok(String::from_utf8_lossy(&output).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_merged_without_stdin() {
        let mut output = Vec::new();
        append_frame(
            &mut output,
            &LogOutput::StdOut {
                message: "out\n".into(),
            },
        );
        append_frame(
            &mut output,
            &LogOutput::StdIn {
                message: "in\n".into(),
            },
        );
        append_frame(
            &mut output,
            &LogOutput::StdErr {
                message: "err\n".into(),
            },
        );
        assert_eq!(output, b"out\nerr\n");
    }

    #[test]
    fn long_commands_are_shortened_on_a_char_boundary() {
        let argv = vec!["sh".to_owned(), "-c".to_owned(), "é".repeat(100)];
        let shown = show_command(&argv);
        assert!(
            shown.ends_with("...") && shown.chars().count() == 83,
            "{shown}"
        );
        assert_eq!(show_command(&["ls".to_owned()]), "ls");
    }
}
