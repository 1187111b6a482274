//! Robots' send limit (policy §2.1.2; issue 10, item 2): WeCom, DingTalk and Feishu take at most
//! 20 posts per robot in any *sliding* minute (DingTalk then blocks the robot for 10 minutes),
//! so a robot's next post is allowed only while fewer than N of its posts fall in the last 60 s.
//! Pure rules: the slot decision and why a delivery waits. The posts' times are kept in the
//! database (`liaison_db::robot::take_send_slot`), shared by every worker and instance.

use crate::str_enum;

/// The platforms' window: one minute, sliding.
pub const WINDOW_MS: i64 = 60_000;

str_enum!(
    /// Why a delivery waits without an attempt counted, as the receipts board says it: the
    /// robot's minute is full (our own limiter) or the platform answered "too fast" (WeCom
    /// 45009, DingTalk 130101/410100, Feishu 11232/9499, HTTP 429).
    RateWait {
        RobotMinute = "robot_minute",
        Platform = "platform",
    }
);

/// §2.1.2: whether a robot may be posted to at `now` (Unix ms), given the times of its posts
/// taken so far that are later than `now - WINDOW_MS` (any order; times after `now`, taken by
/// another instance, count too). `Err(ms)` is how long until the oldest of the last `per_minute`
/// of them is a minute old, which is when the next slot opens. A `per_minute` of 0 is taken as
/// 1 (a robot that could never be posted to would stall its deliveries for ever).
///
/// Checked at every take, with the new post included, this keeps any 60 s window to at most
/// `per_minute` posts: of the posts in a window, the last one taken saw all the others.
pub fn robot_slot(taken: &[i64], now: i64, per_minute: u32) -> Result<(), i64> {
    let n = usize::try_from(per_minute.max(1)).unwrap_or(usize::MAX);
    let mut recent: Vec<i64> = taken
        .iter()
        .copied()
        .filter(|t| *t > now - WINDOW_MS)
        .collect();
    if recent.len() < n {
        return Ok(());
    }
    recent.sort_unstable_by(|a, b| b.cmp(a));
    // The n-th most recent post: when it leaves the window, n - 1 remain.
    let oldest = recent[n - 1];
    Err((oldest + WINDOW_MS - now).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// At most `n` of `times` in any half-open window [s, s + 60 s).
    fn max_in_any_window(times: &[i64]) -> usize {
        times
            .iter()
            .map(|s| {
                times
                    .iter()
                    .filter(|t| **t >= *s && **t < s + WINDOW_MS)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn twenty_posts_pass_and_the_21st_waits_for_the_oldest_to_leave_the_minute_2_1_2() {
        let times: Vec<i64> = (0..20).map(|i| i * 1000).collect();
        assert_eq!(robot_slot(&times[..19], 19_000, 20), Ok(()));
        // The oldest (at 0) is a minute old at 60 000: 41 s from 19 s.
        assert_eq!(robot_slot(&times, 19_000, 20), Err(41_000));
        assert_eq!(robot_slot(&times, 59_999, 20), Err(1));
        assert_eq!(robot_slot(&times, 60_000, 20), Ok(()));
    }

    #[test]
    fn posts_taken_elsewhere_with_a_later_clock_count_too() {
        let future = vec![70_000; 3];
        assert_eq!(robot_slot(&future, 60_000, 3), Err(70_000));
        assert_eq!(robot_slot(&future, 60_000, 4), Ok(()));
    }

    #[test]
    fn a_limit_of_zero_is_one_a_minute() {
        assert_eq!(robot_slot(&[], 0, 0), Ok(()));
        assert_eq!(robot_slot(&[0], 1, 0), Err(59_999));
    }

    #[test]
    fn wait_reasons_read_as_the_ledger_writes_them() {
        for r in RateWait::ALL {
            assert_eq!(RateWait::parse(r.as_str()), Ok(*r));
        }
    }

    proptest! {
        /// Whatever the arrival of attempts, the posts allowed never exceed `n` in any sliding
        /// minute, and an answered wait is exact: one ms earlier is still refused, then a post
        /// goes.
        #[test]
        fn no_sliding_minute_ever_holds_more_than_n_posts(
            n in 1u32..25,
            gaps in proptest::collection::vec(0i64..9_000, 1..200),
        ) {
            let mut now = 0i64;
            let mut taken: Vec<i64> = Vec::new();
            for gap in gaps {
                now += gap;
                match robot_slot(&taken, now, n) {
                    Ok(()) => taken.push(now),
                    Err(wait) => {
                        prop_assert!(wait > 0 && wait <= WINDOW_MS);
                        if wait > 1 {
                            prop_assert!(robot_slot(&taken, now + wait - 1, n).is_err());
                        }
                        prop_assert_eq!(robot_slot(&taken, now + wait, n), Ok(()));
                    }
                }
                prop_assert!(max_in_any_window(&taken) <= n as usize);
            }
        }
    }
}
