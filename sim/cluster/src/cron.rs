//! CronJob schedules: the five-field cron format Kubernetes accepts (`cron.ParseStandard` of
//! robfig/cron in `pkg/apis/batch/validation`), parsed by the `croner` crate with seconds and
//! years disallowed, evaluated in UTC (the controller-manager's usual local zone; `timeZone`
//! is not simulated). `TZ=`/`CRON_TZ=` prefixes are refused as the real validation refuses them.
//! Parse errors carry croner's wording, not robfig's.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// A parsed schedule.
pub struct Schedule(Cron);

/// Parse a CronJob `spec.schedule`.
pub fn parse(schedule: &str) -> Result<Schedule, String> {
    if schedule.contains("TZ") {
        return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".into());
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(schedule)
        .map(Schedule)
        .map_err(|e| e.to_string())
}

fn civil(unix: i64) -> Option<DateTime> {
    Some(
        Timestamp::from_second(unix)
            .ok()?
            .to_zoned(TimeZone::UTC)
            .datetime(),
    )
}

fn unix(dt: DateTime) -> Option<i64> {
    Some(dt.to_zoned(TimeZone::UTC).ok()?.timestamp().as_second())
}

impl Schedule {
    /// The latest scheduled time in `(after, until]` (unix seconds): the one run a controller
    /// starts after missing several (`mostRecentScheduleTime`).
    pub fn latest_between(&self, after: i64, until: i64) -> Option<i64> {
        let t = unix(self.0.find_previous_occurrence(&civil(until)?, true).ok()?)?;
        (t > after).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_field_schedules_find_the_latest_run_and_refuse_seconds_and_zones() {
        let every_5 = parse("*/5 * * * *").unwrap();
        // 2026-01-01T00:07:00Z → previous run 00:05, next 00:10.
        let t = 1_767_225_600 + 7 * 60;
        assert_eq!(every_5.latest_between(t - 600, t), Some(t - 120));
        assert_eq!(every_5.latest_between(t - 60, t), None);
        assert!(parse("0 */5 * * * *").is_err(), "six fields are refused");
        assert!(parse("CRON_TZ=UTC 0 * * * *").is_err());
        assert!(parse("not a schedule").is_err());
        assert!(parse("@hourly").is_ok());
    }
}
