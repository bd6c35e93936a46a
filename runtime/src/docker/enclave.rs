//! Enclave-level objects: the labelled bridge network (create with a free /24, list, look up
//! by uuid), enclave status from container states, removal of everything carrying the
//! enclave uuid label, named volumes, and static IP reservation in the enclave subnet.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::models::{
    ContainerSummaryStateEnum, Ipam, IpamConfig, NetworkCreateRequest, VolumeCreateRequest,
};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use futures::future::join_all;

use super::error::{is_not_found, message_of, status_of};
use super::subnet::{self, Subnet};
use super::{DockerBackend, EnclaveNetwork, NETWORK_PREFIX};
use crate::backend::{
    BackendError, BackendResult, EnclaveInfo, EnclaveStatus, LABEL_CREATED, LABEL_ENCLAVE_NAME,
    LABEL_ENCLAVE_UUID, LABEL_KIND,
};

/// How many subnets to try when another process takes the chosen one first.
const SUBNET_ATTEMPTS: usize = 8;

/// A `label` filter on `key=value` (or on the key's presence when `value` is `None`).
pub(crate) fn label_filter(key: &str, value: Option<&str>) -> HashMap<String, Vec<String>> {
    let label = match value {
        Some(value) => format!("{key}={value}"),
        None => key.to_owned(),
    };
    HashMap::from([("label".to_owned(), vec![label])])
}

impl DockerBackend {
    pub(super) async fn create_enclave_network(
        &self,
        name: &str,
        uuid: &str,
    ) -> BackendResult<EnclaveInfo> {
        let network_name = format!("{NETWORK_PREFIX}{name}");
        let _guard = self.subnet_lock.lock().await;
        let operation = format!("creating network `{network_name}`");
        // One listing answers both "does it exist already" and "which subnets are taken".
        let networks = self
            .docker
            .list_networks(None)
            .await
            .map_err(|e| self.error("listing Docker networks", e))?;
        if let Some(existing) = networks
            .iter()
            .find(|n| n.name.as_deref() == Some(network_name.as_str()))
        {
            return self
                .adopt_network(
                    &network_name,
                    existing.id.clone(),
                    existing.labels.clone().unwrap_or_default(),
                    existing.ipam.as_ref(),
                )
                .await;
        }
        let mut used: Vec<Subnet> = networks
            .iter()
            .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
            .flatten()
            .filter_map(|c| Subnet::parse(c.subnet.as_deref()?))
            .collect();
        if self.address.starts_with("unix://") {
            used.extend(subnet::host_routes());
        }
        let created = rfc3339_now();
        let labels = HashMap::from([
            (LABEL_ENCLAVE_NAME.to_owned(), name.to_owned()),
            (LABEL_ENCLAVE_UUID.to_owned(), uuid.to_owned()),
            (LABEL_CREATED.to_owned(), created.clone()),
            (LABEL_KIND.to_owned(), "network".to_owned()),
        ]);
        let mut skip = Vec::new();
        let mut last_reason = String::from("no attempt made");
        for _ in 0..SUBNET_ATTEMPTS {
            let Some(chosen) = subnet::choose_enclave_subnet(&used, &skip) else {
                return Err(BackendError::Docker {
                    operation,
                    reason: format!(
                        "no free /24 subnet left in `{}` or `{}`; remove unused enclaves or Docker networks",
                        subnet::POOLS[0],
                        subnet::POOLS[1]
                    ),
                });
            };
            let gateway = chosen.first_host();
            let request = NetworkCreateRequest {
                name: network_name.clone(),
                driver: Some("bridge".to_owned()),
                attachable: Some(true),
                ipam: Some(Ipam {
                    driver: Some("default".to_owned()),
                    config: Some(vec![IpamConfig {
                        subnet: Some(chosen.to_string()),
                        gateway: Some(gateway.to_string()),
                        ..Default::default()
                    }]),
                    options: None,
                }),
                labels: Some(labels.clone()),
                ..Default::default()
            };
            match self.docker.create_network(request).await {
                Ok(response) => {
                    self.remember_network(
                        uuid,
                        EnclaveNetwork {
                            id: response.id,
                            name: network_name.clone(),
                            enclave_name: name.to_owned(),
                            subnet: Some(chosen),
                            gateway: Some(gateway),
                        },
                    );
                    return Ok(EnclaveInfo {
                        name: name.to_owned(),
                        uuid: uuid.to_owned(),
                        created,
                        status: EnclaveStatus::Empty,
                    });
                }
                Err(error) if message_of(&error).contains("overlap") => {
                    last_reason = message_of(&error).to_owned();
                    skip.push(chosen);
                }
                Err(error) if status_of(&error) == Some(409) => {
                    // Another process created the same name meanwhile.
                    if let Some(info) = self.existing_enclave(&network_name).await? {
                        return Ok(info);
                    }
                    return Err(self.error(&operation, error));
                }
                Err(error) => return Err(self.error(&operation, error)),
            }
        }
        Err(BackendError::Docker {
            operation,
            reason: format!("every subnet tried was taken meanwhile: {last_reason}"),
        })
    }

    /// The enclave whose network is `network_name`, if that network exists.
    async fn existing_enclave(&self, network_name: &str) -> BackendResult<Option<EnclaveInfo>> {
        let network = match self.docker.inspect_network(network_name, None).await {
            Ok(network) => network,
            Err(error) if is_not_found(&error) => return Ok(None),
            Err(error) => {
                return Err(self.error(&format!("inspecting network `{network_name}`"), error));
            }
        };
        let labels = network.labels.clone().unwrap_or_default();
        self.adopt_network(
            network_name,
            network.id.clone(),
            labels,
            network.ipam.as_ref(),
        )
        .await
        .map(Some)
    }

    /// Remembers an existing enclave network and describes its enclave.
    async fn adopt_network(
        &self,
        network_name: &str,
        id: Option<String>,
        labels: HashMap<String, String>,
        ipam: Option<&Ipam>,
    ) -> BackendResult<EnclaveInfo> {
        let Some(uuid) = labels.get(LABEL_ENCLAVE_UUID).cloned() else {
            return Err(BackendError::Docker {
                operation: format!("creating network `{network_name}`"),
                reason: format!("a network `{network_name}` not made by hortus exists already"),
            });
        };
        let first = ipam.and_then(|i| i.config.as_ref()).and_then(|c| c.first());
        let enclave_name = labels
            .get(LABEL_ENCLAVE_NAME)
            .cloned()
            .unwrap_or_else(|| network_name.trim_start_matches(NETWORK_PREFIX).to_owned());
        self.remember_network(
            &uuid,
            EnclaveNetwork {
                id: id.unwrap_or_else(|| network_name.to_owned()),
                name: network_name.to_owned(),
                enclave_name: enclave_name.clone(),
                subnet: first.and_then(|c| Subnet::parse(c.subnet.as_deref()?)),
                gateway: first.and_then(|c| c.gateway.as_deref()?.parse().ok()),
            },
        );
        let status = self.enclave_statuses().await?.get(&uuid).copied();
        Ok(EnclaveInfo {
            name: enclave_name,
            uuid,
            created: labels.get(LABEL_CREATED).cloned().unwrap_or_default(),
            status: status.unwrap_or(EnclaveStatus::Empty),
        })
    }

    /// Status of every enclave that has containers, from one container listing.
    async fn enclave_statuses(&self) -> BackendResult<HashMap<String, EnclaveStatus>> {
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&label_filter(LABEL_ENCLAVE_UUID, None))
            .build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.error("listing enclave containers", e))?;
        let mut statuses = HashMap::new();
        for container in containers {
            let Some(uuid) = container
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_ENCLAVE_UUID))
            else {
                continue;
            };
            let running = container.state == Some(ContainerSummaryStateEnum::RUNNING);
            let status = statuses
                .entry(uuid.clone())
                .or_insert(EnclaveStatus::Stopped);
            if running {
                *status = EnclaveStatus::Running;
            }
        }
        Ok(statuses)
    }

    pub(super) async fn list_enclave_networks(&self) -> BackendResult<Vec<EnclaveInfo>> {
        let options = ListNetworksOptionsBuilder::new()
            .filters(&label_filter(LABEL_ENCLAVE_UUID, None))
            .build();
        let (networks, statuses) = futures::join!(
            self.docker.list_networks(Some(options)),
            self.enclave_statuses()
        );
        let networks = networks.map_err(|e| self.error("listing enclave networks", e))?;
        let statuses = statuses?;
        let mut enclaves: Vec<EnclaveInfo> = networks
            .into_iter()
            .filter_map(|network| {
                let labels = network.labels?;
                let uuid = labels.get(LABEL_ENCLAVE_UUID)?.clone();
                let network_name = network.name.unwrap_or_default();
                let name = labels
                    .get(LABEL_ENCLAVE_NAME)
                    .cloned()
                    .unwrap_or_else(|| network_name.trim_start_matches(NETWORK_PREFIX).to_owned());
                Some(EnclaveInfo {
                    name,
                    status: statuses.get(&uuid).copied().unwrap_or(EnclaveStatus::Empty),
                    uuid,
                    created: labels.get(LABEL_CREATED).cloned().unwrap_or_default(),
                })
            })
            .collect();
        // RFC 3339 UTC timestamps of one format sort chronologically as text.
        enclaves.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
        Ok(enclaves)
    }

    pub(super) async fn remove_enclave_objects(&self, uuid: &str) -> BackendResult<()> {
        let filter = label_filter(LABEL_ENCLAVE_UUID, Some(uuid));
        // One round of listings, then containers, volumes (freed by the containers) and the
        // network, in that order; every failure is collected, absent objects are fine.
        let (containers, volumes, networks) = futures::join!(
            self.docker.list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filter)
                    .build(),
            )),
            self.docker.list_volumes(Some(
                ListVolumesOptionsBuilder::new().filters(&filter).build()
            )),
            self.docker.list_networks(Some(
                ListNetworksOptionsBuilder::new().filters(&filter).build()
            )),
        );
        let containers = containers
            .map_err(|e| self.error(&format!("listing containers of enclave `{uuid}`"), e))?;
        let mut failures: Vec<String> = Vec::new();

        let remove_options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        let removals = containers.iter().filter_map(|c| c.id.as_deref()).map(|id| {
            let options = remove_options.clone();
            async move {
                match self.docker.remove_container(id, Some(options)).await {
                    Ok(()) => Ok(()),
                    Err(error) if is_not_found(&error) || status_of(&error) == Some(409) => Ok(()),
                    Err(error) => Err(self
                        .error(&format!("removing container `{}`", short_id(id)), error)
                        .to_string()),
                }
            }
        });
        failures.extend(join_all(removals).await.into_iter().filter_map(Result::err));

        match volumes {
            Ok(response) => {
                let volumes = response.volumes.unwrap_or_default();
                let removals = volumes.iter().map(|volume| async move {
                    let options = RemoveVolumeOptionsBuilder::new().force(true).build();
                    match self.docker.remove_volume(&volume.name, Some(options)).await {
                        Ok(()) => Ok(()),
                        Err(error) if is_not_found(&error) => Ok(()),
                        Err(error) => Err(self
                            .error(&format!("removing volume `{}`", volume.name), error)
                            .to_string()),
                    }
                });
                failures.extend(join_all(removals).await.into_iter().filter_map(Result::err));
            }
            Err(error) => failures.push(
                self.error(&format!("listing volumes of enclave `{uuid}`"), error)
                    .to_string(),
            ),
        }

        match networks {
            Ok(networks) => {
                for network in networks {
                    let Some(id) = network.id.as_deref() else {
                        continue;
                    };
                    let shown = network.name.as_deref().unwrap_or(id);
                    // A container removed a moment ago can still hold its endpoint (Docker
                    // answers 403 "has active endpoints"): retry for about two seconds.
                    let mut attempt: u64 = 0;
                    loop {
                        match self.docker.remove_network(id).await {
                            Ok(()) => break,
                            Err(error) if is_not_found(&error) => break,
                            Err(error) if status_of(&error) == Some(403) && attempt < 12 => {
                                attempt += 1;
                                tokio::time::sleep(std::time::Duration::from_millis(
                                    50 * attempt.min(4),
                                ))
                                .await;
                            }
                            Err(error) => {
                                failures.push(
                                    self.error(&format!("removing network `{shown}`"), error)
                                        .to_string(),
                                );
                                break;
                            }
                        }
                    }
                }
            }
            Err(error) => failures.push(
                self.error(&format!("listing networks of enclave `{uuid}`"), error)
                    .to_string(),
            ),
        }

        self.forget_enclave(uuid);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(BackendError::Docker {
                operation: format!("removing enclave `{uuid}`"),
                reason: failures.join("; "),
            })
        }
    }

    /// The enclave's network (cached; else one labelled network listing).
    pub(super) async fn enclave_network(
        &self,
        enclave_uuid: &str,
    ) -> BackendResult<Arc<EnclaveNetwork>> {
        if let Some(network) = self.cached_network(enclave_uuid) {
            return Ok(network);
        }
        let options = ListNetworksOptionsBuilder::new()
            .filters(&label_filter(LABEL_ENCLAVE_UUID, Some(enclave_uuid)))
            .build();
        let networks = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(|e| {
                self.error(
                    &format!("looking up the network of enclave `{enclave_uuid}`"),
                    e,
                )
            })?;
        let Some(network) = networks.into_iter().next() else {
            return Err(BackendError::NoSuchEnclave(enclave_uuid.to_owned()));
        };
        let name = network.name.unwrap_or_default();
        let labels = network.labels.unwrap_or_default();
        let first = network
            .ipam
            .as_ref()
            .and_then(|i| i.config.as_ref())
            .and_then(|c| c.first());
        Ok(self.remember_network(
            enclave_uuid,
            EnclaveNetwork {
                id: network.id.unwrap_or_else(|| name.clone()),
                enclave_name: labels
                    .get(LABEL_ENCLAVE_NAME)
                    .cloned()
                    .unwrap_or_else(|| name.trim_start_matches(NETWORK_PREFIX).to_owned()),
                subnet: first.and_then(|c| Subnet::parse(c.subnet.as_deref()?)),
                gateway: first.and_then(|c| c.gateway.as_deref()?.parse().ok()),
                name,
            },
        ))
    }

    fn is_seeded(&self, enclave_uuid: &str) -> bool {
        self.reserved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(enclave_uuid)
            .is_some_and(|r| r.seeded)
    }

    pub(super) async fn reserve_enclave_ip(&self, enclave_uuid: &str) -> BackendResult<Ipv4Addr> {
        let network = self.enclave_network(enclave_uuid).await?;
        let operation = format!("reserving an address in enclave `{enclave_uuid}`");
        let Some(subnet) = network.subnet else {
            return Err(BackendError::Docker {
                operation,
                reason: format!("network `{}` has no IPv4 subnet", network.name),
            });
        };
        if !self.is_seeded(enclave_uuid) {
            // Load the addresses in use once per enclave and process: live endpoints (also
            // of containers hortus did not make) and the static addresses of created and
            // stopped containers, which hold no endpoint. Later calls only consult the
            // in-process set: mutations of one enclave are serialised by the caller.
            let _seeding = self.seed_lock.lock().await;
            if !self.is_seeded(enclave_uuid) {
                let (inspected, containers) = futures::join!(
                    self.docker.inspect_network(&network.id, None),
                    self.list_enclave_containers(enclave_uuid)
                );
                let inspected = match inspected {
                    Ok(inspected) => inspected,
                    Err(error) if is_not_found(&error) => {
                        self.forget_enclave(enclave_uuid);
                        return Err(BackendError::NoSuchEnclave(enclave_uuid.to_owned()));
                    }
                    Err(error) => return Err(self.error(&operation, error)),
                };
                let mut in_use: HashSet<Ipv4Addr> = inspected
                    .containers
                    .unwrap_or_default()
                    .values()
                    .filter_map(|endpoint| {
                        let address = endpoint.ipv4_address.as_deref()?;
                        address.split('/').next()?.parse().ok()
                    })
                    .collect();
                in_use.extend(containers?.into_iter().filter_map(|state| state.ip));
                let mut reserved = self.reserved.lock().unwrap_or_else(PoisonError::into_inner);
                let entry = reserved.entry(enclave_uuid.to_owned()).or_default();
                entry.seeded = true;
                entry
                    .taken
                    .extend(in_use.into_iter().filter(|a| subnet.contains(*a)));
            }
        }
        let mut reserved = self.reserved.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = reserved.entry(enclave_uuid.to_owned()).or_default();
        let Some(address) = subnet::free_address(subnet, network.gateway, &entry.taken) else {
            return Err(BackendError::Docker {
                operation,
                reason: format!("no free address left in `{subnet}`"),
            });
        };
        entry.taken.insert(address);
        Ok(address)
    }

    pub(super) async fn create_enclave_volume(
        &self,
        enclave_uuid: &str,
        name: &str,
        labels: BTreeMap<String, String>,
    ) -> BackendResult<()> {
        let network = self.enclave_network(enclave_uuid).await?;
        let mut all: HashMap<String, String> = labels.into_iter().collect();
        all.entry(LABEL_KIND.to_owned())
            .or_insert_with(|| "volume".to_owned());
        all.insert(LABEL_ENCLAVE_UUID.to_owned(), enclave_uuid.to_owned());
        all.insert(LABEL_ENCLAVE_NAME.to_owned(), network.enclave_name.clone());
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            labels: Some(all),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| self.error(&format!("creating volume `{name}`"), e))
    }
}

/// The first 12 characters of a container id, as `docker ps` shows it.
pub(crate) fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Now as RFC 3339 UTC with second precision (`2026-11-28T15:20:00Z`).
pub(crate) fn rfc3339_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(seconds)
}

/// Formats seconds since the Unix epoch (civil-from-days, H. Hinnant's algorithm).
fn rfc3339(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_879_245), "2026-11-28T15:20:45Z");
        let now = rfc3339_now();
        assert_eq!(now.len(), 20, "{now}");
    }

    #[test]
    fn label_filters_match_docker_syntax() {
        assert_eq!(
            label_filter("hortus.enclave.uuid", Some("ab")),
            HashMap::from([(
                "label".to_owned(),
                vec!["hortus.enclave.uuid=ab".to_owned()]
            )])
        );
        assert_eq!(
            label_filter("hortus.enclave.uuid", None)["label"],
            vec!["hortus.enclave.uuid".to_owned()]
        );
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
