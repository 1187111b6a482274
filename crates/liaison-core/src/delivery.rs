//! A delivery's life (policy §4.3, §4.4.1, §5.3.2; SPEC B5, B6, B9). Pure rules: the states a
//! delivery (one message to one contact on one channel) goes through, which moves between them
//! are allowed, and when a failed send is tried again or given up. The ledger, leases and the
//! SQL live in liaison-db; the sends themselves in liaison-worker.

use chrono::Duration;

use crate::str_enum;

str_enum!(
    /// SPEC B5: where one delivery stands. `queued`, `held` and `failed` wait for the worker;
    /// `sent` was accepted by the channel; `delivered` is a portal copy (in the inbox once
    /// written); `manual` is a phone call staff make and log; `read` and `acknowledged` come
    /// from the partner; `dead` failed its last attempt and waits for a channel manager.
    DeliveryState {
        Queued = "queued",
        Held = "held",
        Failed = "failed",
        Sent = "sent",
        Delivered = "delivered",
        Manual = "manual",
        Read = "read",
        Acknowledged = "acknowledged",
        Dead = "dead",
    }
);

impl DeliveryState {
    /// The states waiting for a first send (or a retry of it).
    pub const PENDING: &'static [DeliveryState] = &[
        DeliveryState::Queued,
        DeliveryState::Held,
        DeliveryState::Failed,
    ];

    /// §4.3.1: not yet out; a leased delivery in any other state is a reminder (§4.4.1).
    pub fn is_pending(self) -> bool {
        Self::PENDING.contains(&self)
    }

    /// What the first send of a pending delivery makes of it, given what the partner did
    /// meanwhile in the portal (§4.4.1: a confirmation or a read is not undone by the send).
    pub fn after_send(read: bool, acked: bool) -> DeliveryState {
        if acked {
            DeliveryState::Acknowledged
        } else if read {
            DeliveryState::Read
        } else {
            DeliveryState::Sent
        }
    }
}

/// §4.3, §4.4.1: whether a delivery may move from `from` to `to`. Pending ones are sent (or
/// read and confirmed meanwhile), held for working hours (§5.3.2), retried or given up; a
/// channel manager sends a dead, failing or held one again; partners read and confirm what
/// reached them. A confirmation is final.
pub fn may_become(from: DeliveryState, to: DeliveryState) -> bool {
    use DeliveryState::*;
    match from {
        Queued => matches!(to, Held | Failed | Dead | Sent | Read | Acknowledged),
        Held | Failed => matches!(
            to,
            Queued | Held | Failed | Dead | Sent | Read | Acknowledged
        ),
        Dead => to == Queued,
        Delivered | Sent => matches!(to, Read | Acknowledged),
        Read | Manual => to == Acknowledged,
        Acknowledged => false,
    }
}

/// What happens after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after this wait.
    After(Duration),
    /// The last attempt failed, or the failure is permanent: dead, shown with its error.
    GiveUp,
}

/// §4.3.1 (delivered promptly, but a channel that is down is not hammered): the wait before
/// attempt `n + 1` after `n` failures: 30 s, doubling each time, at most 1 h.
pub fn backoff(failures: i64) -> Duration {
    let exp = failures.clamp(1, 8) - 1;
    Duration::seconds((30i64 << exp).min(3600))
}

/// §4.3.1: after `failures` failed attempts (this one included), try again with `backoff`,
/// unless the failure is permanent or `max_attempts` are used up. Deliveries and jobs alike.
pub fn after_failure(failures: i64, max_attempts: i64, permanent: bool) -> Retry {
    if permanent || failures >= max_attempts {
        Retry::GiveUp
    } else {
        Retry::After(backoff(failures))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryState::*;
    use proptest::prelude::*;

    fn state() -> impl Strategy<Value = DeliveryState> {
        proptest::sample::select(DeliveryState::ALL.to_vec())
    }

    #[test]
    fn backoff_starts_at_30_seconds_and_doubles_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // Nothing odd before the first failure either.
        assert_eq!(backoff(0), Duration::seconds(30));
    }

    #[test]
    fn the_last_attempt_or_a_permanent_failure_gives_up() {
        assert_eq!(
            after_failure(1, 6, false),
            Retry::After(Duration::seconds(30))
        );
        assert_eq!(
            after_failure(5, 6, false),
            Retry::After(Duration::seconds(480))
        );
        assert_eq!(after_failure(6, 6, false), Retry::GiveUp);
        assert_eq!(after_failure(1, 6, true), Retry::GiveUp);
        assert_eq!(after_failure(1, 1, false), Retry::GiveUp);
    }

    #[test]
    fn only_queued_held_and_failed_wait_for_a_first_send() {
        let pending: Vec<_> = DeliveryState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, vec![Queued, Held, Failed]);
    }

    #[test]
    fn a_send_keeps_what_the_partner_did_meanwhile_4_4_1() {
        assert_eq!(DeliveryState::after_send(false, false), Sent);
        assert_eq!(DeliveryState::after_send(true, false), Read);
        assert_eq!(DeliveryState::after_send(true, true), Acknowledged);
        assert_eq!(DeliveryState::after_send(false, true), Acknowledged);
    }

    #[test]
    fn states_read_as_the_ledger_writes_them() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Ok(*s));
        }
        assert!(DeliveryState::parse("lost").is_err());
    }

    proptest! {
        #[test]
        fn backoff_never_shrinks_and_stays_between_30_s_and_1_h(n in -5i64..1000) {
            let w = backoff(n);
            prop_assert!(w >= Duration::seconds(30) && w <= Duration::hours(1));
            prop_assert!(backoff(n + 1) >= w);
        }

        #[test]
        fn a_delivery_is_retried_fewer_times_than_its_attempts(
            max in 1i64..=20, permanent in any::<bool>(),
        ) {
            // Every failure up to the last is retried, then it is dead.
            let retried = (1..=max + 5)
                .take_while(|n| after_failure(*n, max, permanent) != Retry::GiveUp)
                .count() as i64;
            prop_assert_eq!(retried, if permanent { 0 } else { max - 1 });
        }

        #[test]
        fn a_confirmation_is_final_and_every_state_but_it_can_move(from in state(), to in state()) {
            if from == Acknowledged {
                prop_assert!(!may_become(from, to));
            } else {
                prop_assert!(DeliveryState::ALL.iter().any(|t| may_become(from, *t)));
            }
            // Nothing out of the queue goes back to it but a dead one sent again.
            if !from.is_pending() && to.is_pending() && may_become(from, to) {
                prop_assert_eq!((from, to), (Dead, Queued));
            }
        }

        #[test]
        fn a_first_send_is_an_allowed_move(from in state(), read in any::<bool>(), acked in any::<bool>()) {
            prop_assume!(from.is_pending());
            prop_assert!(may_become(from, DeliveryState::after_send(read, acked)));
        }
    }
}
