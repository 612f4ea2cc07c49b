//! Debian's nginx as the cluster's load balancer, configured from the same
//! `deploy/nginx.conf.template` docker-compose uses: the template's variables are filled in
//! here as the official image's envsubst fills them in there, and the result is included in
//! a small main configuration whose files all live in the state directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::shell;

pub const NGINX: &str = "/usr/sbin/nginx";

/// Installs Debian's nginx when it is missing (as root, as on CI).
pub fn ensure_installed() -> anyhow::Result<()> {
    if Path::new(NGINX).exists() {
        return Ok(());
    }
    shell::ensure_debian_package("nginx", "nginx", "the local cluster's load balancer")
}

/// `template` with each `${NAME}` of `values` replaced; any other `${...}` left is an error
/// (a variable this code does not know about would reach nginx unreplaced).
pub fn render(template: &str, values: &[(&str, String)]) -> anyhow::Result<String> {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    if let Some(at) = text.find("${") {
        let rest: String = text[at..].chars().take(40).collect();
        bail!("deploy/nginx.conf.template has a variable xtask does not fill in: {rest}");
    }
    Ok(text)
}

/// Writes the configuration for `upstreams` (loopback addresses) listening on `port`, checks
/// it with `nginx -t`, and starts nginx (it daemonizes; its pid is in `nginx.pid`).
pub fn start(root: &Path, state: &Path, port: u16, upstreams: &[u16]) -> anyhow::Result<()> {
    let template = std::fs::read_to_string(root.join("deploy/nginx.conf.template"))?;
    let servers: Vec<String> = upstreams
        .iter()
        .map(|p| format!("server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;"))
        .collect();
    let site = render(
        &template,
        &[
            ("PENORA_LISTEN", format!("127.0.0.1:{port}")),
            ("PENORA_UPSTREAMS", servers.join("\n    ")),
            (
                "PENORA_ACCESS_LOG",
                state.join("nginx-access.log").display().to_string(),
            ),
        ],
    )?;
    std::fs::write(state.join("nginx-site.conf"), site)?;
    let temp = state.join("nginx-temp");
    std::fs::create_dir_all(&temp)?;
    // Workers run as nobody when nginx starts as root: they must be able to write here.
    shell::run(Command::new("chmod").arg("0777").arg(&temp))?;
    let main = format!(
        "worker_processes 2;\npid {pid};\nerror_log {log} warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n    client_body_temp_path {t}/body;\n    proxy_temp_path {t}/proxy;\n\
         fastcgi_temp_path {t}/fastcgi;\n    uwsgi_temp_path {t}/uwsgi;\n    scgi_temp_path {t}/scgi;\n\
         include {site};\n}}\n",
        pid = pid_file(state).display(),
        log = state.join("nginx-error.log").display(),
        t = temp.display(),
        site = state.join("nginx-site.conf").display(),
    );
    std::fs::write(main_conf(state), main)?;
    shell::output(nginx(state).arg("-t")).context("nginx -t refused the configuration")?;
    shell::run(&mut nginx(state))
}

pub fn stop(state: &Path) -> anyhow::Result<()> {
    if pid_file(state).exists() {
        shell::output(nginx(state).args(["-s", "quit"]))?;
    }
    Ok(())
}

fn nginx(state: &Path) -> Command {
    let mut command = Command::new(NGINX);
    command
        .arg("-p")
        .arg(state)
        .arg("-e")
        .arg(state.join("nginx-error.log"))
        .arg("-c")
        .arg(main_conf(state));
    command
}

fn main_conf(state: &Path) -> PathBuf {
    state.join("nginx.conf")
}

fn pid_file(state: &Path) -> PathBuf {
    state.join("nginx.pid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_renders_with_every_variable_filled_and_nginx_variables_kept() {
        let root = crate::shell::workspace_root();
        let template = std::fs::read_to_string(root.join("deploy/nginx.conf.template")).unwrap();
        let values = [
            ("PENORA_LISTEN", "80".to_owned()),
            ("PENORA_UPSTREAMS", "server a:8080;".to_owned()),
            ("PENORA_ACCESS_LOG", "/var/log/nginx/access.log".to_owned()),
        ];
        let text = render(&template, &values).unwrap();
        assert!(text.contains("listen 80;") && text.contains("server a:8080;"));
        assert!(text.contains("proxy_set_header X-Forwarded-For $remote_addr;"));
        assert!(render(&template, &values[..2]).is_err());
    }
}
