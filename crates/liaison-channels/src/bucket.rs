//! Token buckets per target (DESIGN "Work in the background": robots take 20 messages a minute
//! each). Capacity N, refilled continuously at N per 60 s. Buckets that are full again are the
//! same as absent ones, so they are evicted as the map grows: its size stays bounded by the
//! targets used in the last minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

const WINDOW: Duration = Duration::from_secs(60);
/// Sweep full buckets out once the map holds this many (and then at twice the survivors).
const MIN_SWEEP: usize = 1024;

#[derive(Debug)]
pub struct Buckets {
    capacity: f64,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    map: HashMap<Uuid, Bucket>,
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    /// `per_minute` tokens per key and minute; 0 is taken as 1 (a bucket that never fills would
    /// block the target for good).
    pub fn new(per_minute: u32) -> Self {
        Self {
            capacity: f64::from(per_minute.max(1)),
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    fn refill_rate(&self) -> f64 {
        self.capacity / WINDOW.as_secs_f64()
    }

    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        (b.tokens + elapsed * self.refill_rate()).min(self.capacity)
    }

    /// Takes one token for `key` at `now`, or says how long until one is available.
    pub fn try_take(&self, key: Uuid, now: Instant) -> Result<(), Duration> {
        let mut inner = match self.inner.lock() {
            Ok(g) => g,
            // A panic elsewhere while holding the lock leaves consistent numbers behind.
            Err(poisoned) => poisoned.into_inner(),
        };
        if inner.map.len() >= inner.sweep_at && !inner.map.contains_key(&key) {
            inner.map.retain(|_, b| self.level(b, now) < self.capacity);
            inner.sweep_at = (inner.map.len() * 2).max(MIN_SWEEP);
        }
        let capacity = self.capacity;
        let rate = self.refill_rate();
        let b = inner.map.entry(key).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let tokens = (b.tokens + elapsed * rate).min(capacity);
        // Never move a bucket's clock backwards (instants may arrive out of order).
        if now > b.at {
            b.at = now;
        }
        if tokens >= 1.0 {
            b.tokens = tokens - 1.0;
            Ok(())
        } else {
            b.tokens = tokens;
            let wait = ((1.0 - tokens) / rate).max(0.001);
            Err(Duration::from_secs_f64(wait))
        }
    }

    /// How many buckets are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        match self.inner.lock() {
            Ok(g) => g.map.len(),
            Err(poisoned) => poisoned.into_inner().map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_a_minute_then_one_every_three_seconds() {
        let b = Buckets::new(20);
        let robot = Uuid::now_v7();
        let t0 = Instant::now();
        for i in 0..20 {
            assert_eq!(b.try_take(robot, t0), Ok(()), "send {i}");
        }
        let wait = b.try_take(robot, t0).expect_err("21st within the minute");
        assert!(
            (wait.as_secs_f64() - 3.0).abs() < 0.01,
            "60 s / 20 = 3 s until the next token: {wait:?}"
        );
        // Half-way there: still no token, and the wait shrinks.
        let wait2 = b
            .try_take(robot, t0 + Duration::from_millis(1500))
            .expect_err("1.5 s later");
        assert!((wait2.as_secs_f64() - 1.5).abs() < 0.01, "{wait2:?}");
        assert_eq!(b.try_take(robot, t0 + Duration::from_millis(3001)), Ok(()));
        assert!(b.try_take(robot, t0 + Duration::from_millis(3001)).is_err());
        // A full minute refills to capacity, not beyond.
        let t1 = t0 + Duration::from_secs(600);
        for _ in 0..20 {
            assert_eq!(b.try_take(robot, t1), Ok(()));
        }
        assert!(b.try_take(robot, t1).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let b = Buckets::new(2);
        let (x, y) = (Uuid::now_v7(), Uuid::now_v7());
        let t0 = Instant::now();
        assert!(b.try_take(x, t0).is_ok() && b.try_take(x, t0).is_ok());
        assert!(b.try_take(x, t0).is_err());
        assert!(b.try_take(y, t0).is_ok());
    }

    #[test]
    fn an_earlier_instant_does_not_mint_tokens() {
        let b = Buckets::new(1);
        let k = Uuid::now_v7();
        let t0 = Instant::now() + Duration::from_secs(100);
        assert!(b.try_take(k, t0).is_ok());
        assert!(b.try_take(k, t0 - Duration::from_secs(50)).is_err());
        assert!(b.try_take(k, t0 + Duration::from_secs(59)).is_err());
        assert!(b.try_take(k, t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn full_idle_buckets_are_evicted() {
        let b = Buckets::new(20);
        let t0 = Instant::now();
        for _ in 0..MIN_SWEEP {
            assert!(b.try_take(Uuid::now_v7(), t0).is_ok());
        }
        // One second on, nobody's bucket is full again (a token takes 3 s): nothing is evicted.
        let busy = Uuid::now_v7();
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..20 {
            assert!(b.try_take(busy, t1).is_ok());
        }
        assert_eq!(b.len(), MIN_SWEEP + 1);
        // At t0 + 5 s the first ones are full: once the map reaches twice the survivors, a new
        // key sweeps them out; `busy` (1.3 tokens back of twenty) stays with its count.
        let t2 = t0 + Duration::from_secs(5);
        for _ in 0..MIN_SWEEP {
            assert!(b.try_take(Uuid::now_v7(), t2).is_ok());
        }
        assert_eq!(b.len(), MIN_SWEEP + 1, "1 busy + 1024 recent");
        assert!(b.try_take(busy, t2).is_ok());
        assert!(b.try_take(busy, t2).is_err(), "the busy bucket was kept");
    }
}
