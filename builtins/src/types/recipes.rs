//! `ExecRecipe`, `GetHttpRequestRecipe`, `PostHttpRequestRecipe` (§5.4–5.6): what `exec`,
//! `request`, `wait` and `ReadyCondition` run against a service.

use hortus_plan::HttpMethod;
use hortus_plan::HttpRecipe;
use hortus_plan::Recipe;
use indexmap::IndexMap;

use super::Attrs;
use super::ConstructorDef;
use super::non_empty;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::args::str_dict;
use crate::args::str_list;
use crate::registry::BuiltinKind;

/// Every recipe type name.
pub const RECIPE_TYPES: &[&str] = &[
    "ExecRecipe",
    "GetHttpRequestRecipe",
    "PostHttpRequestRecipe",
];
/// The HTTP recipe type names.
pub const HTTP_RECIPE_TYPES: &[&str] = &["GetHttpRequestRecipe", "PostHttpRequestRecipe"];

const EXTRACT: Param = Param::opt(
    "extract",
    Kind::Dict,
    "dict[str, str]",
    "{}",
    "Field name → jq program run on the output (JSON); results appear as `extract.<name>`",
);
const HEADERS: Param = Param::opt(
    "headers",
    Kind::Dict,
    "dict[str, str]",
    "{}",
    "Request headers",
);

/// `ExecRecipe`.
pub static EXEC_RECIPE: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "ExecRecipe",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "command",
                Kind::List,
                "list[str]",
                "The argv, run without a shell",
            ),
            EXTRACT,
        ],
        doc: "A command run inside a service's container; results `code`, `output`, `extract.<k>`.\n\n```python\nExecRecipe(command = [\"redis-cli\", \"ping\"])\n```",
        returns: "ExecRecipe",
    },
    check: check_exec,
};

/// `GetHttpRequestRecipe`.
pub static GET_HTTP_REQUEST_RECIPE: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "GetHttpRequestRecipe",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "port_id",
                Kind::Str,
                "str",
                "Id of the service port to call",
            ),
            Param::req(
                "endpoint",
                Kind::Str,
                "str",
                "Path and query appended to the URL",
            ),
            EXTRACT,
            HEADERS,
        ],
        doc: "An HTTP GET against a service port; results `code`, `body`, `extract.<k>`.\n\n```python\nGetHttpRequestRecipe(port_id = \"http\", endpoint = \"/health\")\n```",
        returns: "GetHttpRequestRecipe",
    },
    check: check_http,
};

/// `PostHttpRequestRecipe`.
pub static POST_HTTP_REQUEST_RECIPE: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "PostHttpRequestRecipe",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "port_id",
                Kind::Str,
                "str",
                "Id of the service port to call",
            ),
            Param::req(
                "endpoint",
                Kind::Str,
                "str",
                "Path and query appended to the URL",
            ),
            Param::opt(
                "body",
                Kind::Str,
                "str",
                "\"\"",
                "Request body (future references substituted)",
            ),
            Param::opt(
                "content_type",
                Kind::Str,
                "str",
                "\"application/json\"",
                "Content type; `\"\"` sends none",
            ),
            EXTRACT,
            HEADERS,
        ],
        doc: "An HTTP POST against a service port; results `code`, `body`, `extract.<k>`.\n\n```python\nPostHttpRequestRecipe(port_id = \"rpc\", endpoint = \"/\", body = '{\"method\": \"eth_blockNumber\"}', extract = {\"block\": \".result\"})\n```",
        returns: "PostHttpRequestRecipe",
    },
    check: check_http,
};

fn check_exec(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    bound.str_list("command")?;
    bound.str_dict("extract")?;
    Ok(Vec::new())
}

fn check_http(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["port_id"])?;
    bound.str_dict("extract")?;
    bound.str_dict("headers")?;
    Ok(Vec::new())
}

fn dict_attr(attrs: &Attrs<'_>, name: &str) -> anyhow::Result<IndexMap<String, String>> {
    attrs.get(name).map_or(Ok(IndexMap::new()), str_dict)
}

/// Converts a recipe value.
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<Recipe> {
    let extract = dict_attr(attrs, "extract")?;
    match attrs.type_name {
        "ExecRecipe" => Ok(Recipe::Exec {
            command: attrs.get("command").map_or(Ok(Vec::new()), str_list)?,
            extract,
        }),
        "GetHttpRequestRecipe" | "PostHttpRequestRecipe" => {
            let post = attrs.type_name == "PostHttpRequestRecipe";
            Ok(Recipe::Http(HttpRecipe {
                method: if post {
                    HttpMethod::Post
                } else {
                    HttpMethod::Get
                },
                port_id: attrs.str("port_id").unwrap_or_default().to_owned(),
                endpoint: attrs.str("endpoint").unwrap_or_default().to_owned(),
                body: attrs.str("body").unwrap_or_default().to_owned(),
                content_type: post.then(|| {
                    attrs
                        .str("content_type")
                        .unwrap_or("application/json")
                        .to_owned()
                }),
                extract,
                headers: dict_attr(attrs, "headers")?,
            }))
        }
        other => anyhow::bail!("`{other}` is not a recipe"),
    }
}
