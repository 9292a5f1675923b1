//! The phone library as the binding tests load it: its shared library, built by cargo.

use std::path::PathBuf;

/// The phone core's shared library cargo built for these tests (`target/<profile>/deps/` or its parent); the newer
/// one if both exist, since either copy may be stale.
pub fn mobile_core_cdylib() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let deps = exe.parent().expect("deps dir");
    let file = format!("{}mobile_core{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    [Some(deps.join(&file)), deps.parent().map(|d| d.join(&file))]
        .into_iter()
        .flatten()
        .filter(|p| p.is_file())
        .max_by_key(modified)
        .unwrap_or_else(|| panic!("{file} not found beside {}: build mobile-core (its cdylib) first", exe.display()))
}
