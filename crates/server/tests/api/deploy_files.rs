//! The files in `deploy/` agree with the server they front.

use penora_app::config::Settings;

fn deploy_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// nginx lets through exactly the bodies penora takes: a larger one gets penora's own 413
/// problem, and nginx never refuses one penora would take.
#[test]
fn nginx_body_limit_is_the_json_limit() {
    let config = deploy_file("nginx.conf.template");
    let size = config
        .lines()
        .find_map(|line| line.trim().strip_prefix("client_max_body_size "))
        .expect("client_max_body_size in the nginx template")
        .trim_end_matches(';');
    let bytes = match size.strip_suffix('m') {
        Some(mib) => mib.parse::<usize>().unwrap() * 1024 * 1024,
        None => size.parse::<usize>().unwrap(),
    };
    assert_eq!(bytes, Settings::default().json_limit_bytes);
}
