//! Turning a panic inside a dependency into an error. The parquet crate can still
//! panic on some corrupt files (a negative column range, an index out of range);
//! [`catch`] runs such a call and returns the panic's message instead, and while it
//! runs, the panic is not printed (the caller says it once, naming the file).

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `f`; a panic becomes `Err(its message)`.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = CATCHING.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_other_panics_still_panic() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("column start and length should not be negative") }),
            Err("column start and length should not be negative".to_string())
        );
        let index = 9;
        let e = catch(|| [1, 2, 3][index % 10]).unwrap_err();
        assert!(e.contains("index out of bounds"), "{e}");
        // Outside `catch`, a panic is still a panic.
        assert!(std::panic::catch_unwind(|| panic!("not caught by us")).is_err());
    }
}
