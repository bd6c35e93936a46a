//! Behaviour of the `time` module as starlark-go's `lib/time` (expected values from Go).

use starlark::environment::GlobalsBuilder;
use starlark::environment::Module;
use starlark::eval::Evaluator;
use starlark::syntax::AstModule;

use crate::testing::err;
use crate::testing::ok;

fn eval_bool(code: &str) -> bool {
    let mut builder = GlobalsBuilder::standard();
    crate::register(&mut builder);
    let globals = builder.build();
    Module::with_temp_heap(|module| {
        let ast = AstModule::parse("t.star", code.to_owned(), &crate::dialect()).unwrap();
        let mut eval = Evaluator::new(&module);
        let value = eval.eval_module(ast, &globals).unwrap();
        value.unpack_bool().unwrap()
    })
}

#[test]
fn durations_parse_and_compare_with_the_constants() {
    assert!(eval_bool(
        "time.parse_duration(\"1m30s\") == 90 * time.second"
    ));
    assert!(eval_bool(
        "time.parse_duration(\"500ms\") == 500 * time.millisecond"
    ));
    assert!(eval_bool("time.hour == 60 * time.minute"));
    assert!(eval_bool("time.hour == time.minute * 60"));
    assert!(eval_bool("time.parse_duration(time.second) == time.second"));
    assert!(eval_bool("time.second != 1000000000"));
}

#[test]
fn durations_print_like_go() {
    assert_eq!(ok("str(time.parse_duration(\"90s\"))"), "1m30s");
    assert_eq!(ok("str(time.hour)"), "1h0m0s");
    assert_eq!(ok("str(time.parse_duration(\"1.5s\"))"), "1.5s");
    assert_eq!(ok("str(time.parse_duration(\"500ms\"))"), "500ms");
    assert_eq!(ok("str(time.parse_duration(\"0\"))"), "0s");
    assert_eq!(ok("str(time.microsecond * 3)"), "3µs");
    assert_eq!(ok("str(time.parse_duration(\"-1h2m\"))"), "-1h2m0s");
    assert_eq!(ok("repr(time.second)"), "1s");
    assert_eq!(ok("str([time.minute])"), "[1m0s]");
    assert_eq!(ok("type(time.second)"), "time.duration");
}

#[test]
fn duration_attributes_are_floats_and_ints_as_in_go() {
    let d = "d = time.parse_duration(\"10h\")\n";
    assert_eq!(ok(&format!("{d}d.hours")), "10.0");
    assert_eq!(ok(&format!("{d}d.minutes")), "600.0");
    assert_eq!(ok(&format!("{d}d.seconds")), "36000.0");
    assert_eq!(ok(&format!("{d}d.milliseconds")), "36000000");
    assert_eq!(ok(&format!("{d}d.microseconds")), "36000000000");
    assert_eq!(ok(&format!("{d}d.nanoseconds")), "36000000000000");
    assert_eq!(ok("time.parse_duration(\"1m30s\").minutes"), "1.5");
    assert_eq!(ok("time.parse_duration(\"1500us\").milliseconds"), "1");
    assert_eq!(ok("time.parse_duration(\"-1500us\").milliseconds"), "-1");
    assert_eq!(
        ok("dir(time.second)"),
        "[\"hours\", \"microseconds\", \"milliseconds\", \"minutes\", \"nanoseconds\", \"seconds\"]"
    );
    assert_eq!(ok("hasattr(time.second, \"hours\")"), "True");
    assert_eq!(ok("hasattr(time.second, \"days\")"), "False");
    let e = err("time.second.days");
    assert!(e.contains("days"), "{e}");
}

#[test]
fn duration_arithmetic_follows_starlark_go() {
    let s = "s = time.second\n";
    assert_eq!(ok(&format!("{s}str(s + s)")), "2s");
    assert_eq!(ok(&format!("{s}str(s - 3 * s)")), "-2s");
    assert_eq!(ok(&format!("{s}str(s * 5)")), "5s");
    assert_eq!(ok(&format!("{s}str(5 * s)")), "5s");
    assert_eq!(ok(&format!("{s}(90 * s) / time.minute")), "1.5");
    assert_eq!(ok(&format!("{s}(90 * s) // time.minute")), "1");
    assert_eq!(ok(&format!("{s}(-90 * s) // time.minute")), "-1");
    assert_eq!(ok(&format!("{s}str(s / 4)")), "250ms");
    assert_eq!(ok(&format!("{s}str(s / 2.5)")), "400ms");
    assert_eq!(ok(&format!("{s}type(s / s)")), "float");
    assert_eq!(ok(&format!("{s}type(s // s)")), "int");
    assert!(err(&format!("{s}s / 0")).contains("time.duration division by zero"));
    assert!(err(&format!("{s}s / 0.0")).contains("time.duration division by zero"));
    assert!(err(&format!("{s}s / (s - s)")).contains("time.duration division by zero"));
    assert!(err(&format!("{s}s // (s - s)")).contains("time.duration division by zero"));
    assert!(err(&format!("{s}s * (1 << 70)")).contains("int value out of range"));
    // Not in starlark-go's Duration.Binary.
    err(&format!("{s}s // 2"));
    err(&format!("{s}s * 1.5"));
    err(&format!("{s}s + 1"));
    err(&format!("{s}2 / s"));
    err(&format!("{s}-s"));
    // Go wraps int64 overflow.
    assert_eq!(
        ok("str(time.parse_duration(\"2562047h47m16.854775807s\") + time.nanosecond)"),
        "-2562047h47m16.854775808s"
    );
}

#[test]
fn durations_compare_hash_and_test_true() {
    assert!(eval_bool("time.second < time.minute"));
    assert!(eval_bool("time.hour > time.minute"));
    assert!(eval_bool("time.second <= time.parse_duration(\"1s\")"));
    assert!(eval_bool(
        "sorted([time.hour, time.second, time.minute]) == [time.second, time.minute, time.hour]"
    ));
    assert!(eval_bool(
        "{time.second: 1}[time.parse_duration(\"1000ms\")] == 1"
    ));
    assert!(eval_bool("not time.parse_duration(\"0s\")"));
    assert!(eval_bool("bool(time.nanosecond)"));
    assert!(err("time.second < 1").contains("time.duration"));
}

#[test]
fn parse_duration_errors_name_the_text() {
    let e = err("time.parse_duration(\"x\")");
    assert!(e.contains("time: invalid duration \"x\""), "{e}");
    let e = err("time.parse_duration(\"10\")");
    assert!(e.contains("time: missing unit in duration \"10\""), "{e}");
    let e = err("time.parse_duration(\"1d\")");
    assert!(
        e.contains("time: unknown unit \"d\" in duration \"1d\""),
        "{e}"
    );
    let e = err("time.parse_duration(10)");
    assert!(
        e.contains("got int, want a duration, string, or int"),
        "{e}"
    );
}

#[test]
fn from_timestamp_is_utc() {
    assert_eq!(
        ok("str(time.from_timestamp(1593193116))"),
        "2020-06-26 17:38:36 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.from_timestamp(0, 1500))"),
        "1970-01-01 00:00:00.0000015 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.from_timestamp(0, -1))"),
        "1969-12-31 23:59:59.999999999 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.from_timestamp(1, 2000000000))"),
        "1970-01-01 00:00:03 +0000 UTC"
    );
    assert_eq!(ok("type(time.from_timestamp(0))"), "time.time");
    assert_eq!(ok("time.from_timestamp(1593193116, 5).unix"), "1593193116");
    assert_eq!(
        ok("time.from_timestamp(1593193116, 5).unix_nano"),
        "1593193116000000005"
    );
    assert!(eval_bool(
        "time.parse_time(\"2020-06-26T17:38:36Z\") == time.from_timestamp(1593193116)"
    ));
    err("time.from_timestamp(1.5)");
    err("time.from_timestamp(sec = 1)");
}

#[test]
fn time_attributes() {
    let t = "t = time.parse_time(\"2000-01-02T03:04:05.000000006Z\")\n";
    assert_eq!(ok(&format!("{t}t.year")), "2000");
    assert_eq!(ok(&format!("{t}t.month")), "1");
    assert_eq!(ok(&format!("{t}t.day")), "2");
    assert_eq!(ok(&format!("{t}t.hour")), "3");
    assert_eq!(ok(&format!("{t}t.minute")), "4");
    assert_eq!(ok(&format!("{t}t.second")), "5");
    assert_eq!(ok(&format!("{t}t.nanosecond")), "6");
    assert_eq!(ok(&format!("{t}t.unix")), "946782245");
    assert_eq!(ok(&format!("{t}t.unix_nano")), "946782245000000006");
    assert_eq!(
        ok(&format!("{t}dir(t)")),
        "[\"day\", \"format\", \"hour\", \"in_location\", \"minute\", \"month\", \"nanosecond\", \"second\", \"unix\", \"unix_nano\", \"year\"]"
    );
    assert_eq!(ok("time.parse_time(\"1970-01-01T00:00:00Z\").unix"), "0");
}

#[test]
fn time_constructor_normalises_like_go_date() {
    assert_eq!(
        ok("str(time.time(year = 2009, month = 11, day = 10, hour = 23))"),
        "2009-11-10 23:00:00 +0000 UTC"
    );
    // Every field defaults to zero: month 0 and day 0 roll back (Go's time.Date).
    assert_eq!(ok("str(time.time())"), "-0001-11-30 00:00:00 +0000 UTC");
    assert_eq!(
        ok(
            "str(time.time(year = 2021, month = 13, day = 32, hour = 25, minute = 61, second = 61, nanosecond = 1000000001))"
        ),
        "2022-02-02 02:02:02.000000001 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.time(year = 2021, month = 3, day = 1, second = -1))"),
        "2021-02-28 23:59:59 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.time(year = 2020, month = 7, day = 1, location = \"Europe/Paris\"))"),
        "2020-07-01 00:00:00 +0200 CEST"
    );
    let e = err("time.time(2020)");
    assert!(e.contains("time: unexpected positional arguments"), "{e}");
    let e = err("time.time(year = 2020, location = \"Mars/Base\")");
    assert!(e.contains("unknown time zone Mars/Base"), "{e}");
}

#[test]
fn time_zones_and_daylight_saving() {
    let t = "t = time.parse_time(\"2000-01-02T03:04:05Z\")\n";
    assert_eq!(
        ok(&format!("{t}str(t.in_location(\"US/Eastern\"))")),
        "2000-01-01 22:04:05 -0500 EST"
    );
    assert!(eval_bool(&format!(
        "{t}t.in_location(\"US/Eastern\") == time.parse_time(\"2000-01-01T22:04:05-05:00\")"
    )));
    assert_eq!(
        ok(&format!(
            "{t}t.in_location(\"US/Eastern\").format(\"3 04 PM\")"
        )),
        "10 04 PM"
    );
    assert_eq!(ok(&format!("{t}t.in_location(\"US/Eastern\").hour")), "22");
    // New York's 2021 spring-forward (2021-03-14 02:00 EST -> 03:00 EDT).
    let ny = "ny = \"America/New_York\"\n";
    assert_eq!(
        ok(&format!(
            "{ny}str(time.from_timestamp(1615705199).in_location(ny))"
        )),
        "2021-03-14 01:59:59 -0500 EST"
    );
    assert_eq!(
        ok(&format!(
            "{ny}str(time.from_timestamp(1615705200).in_location(ny))"
        )),
        "2021-03-14 03:00:00 -0400 EDT"
    );
    assert_eq!(
        ok(&format!(
            "{ny}str(time.from_timestamp(1615705199).in_location(ny) + time.second)"
        )),
        "2021-03-14 03:00:00 -0400 EDT"
    );
    // A wall time in the gap and one in the fall-back overlap, resolved as Go does.
    assert_eq!(
        ok(&format!(
            "{ny}str(time.time(year = 2021, month = 3, day = 14, hour = 2, minute = 30, location = ny))"
        )),
        "2021-03-14 01:30:00 -0500 EST"
    );
    assert_eq!(
        ok(&format!(
            "{ny}str(time.time(year = 2021, month = 11, day = 7, hour = 1, minute = 30, location = ny))"
        )),
        "2021-11-07 01:30:00 -0400 EDT"
    );
    // Subtracting across the change: one real hour between 01:00 EST and 03:00 EDT.
    assert_eq!(
        ok(&format!(
            "{ny}str(time.time(year = 2021, month = 3, day = 14, hour = 3, location = ny) - time.time(year = 2021, month = 3, day = 14, hour = 1, location = ny))"
        )),
        "1h0m0s"
    );
    assert_eq!(
        ok(
            "str(time.parse_time(\"2021-07-04 12:00\", format = \"2006-01-02 15:04\", location = \"America/New_York\"))"
        ),
        "2021-07-04 12:00:00 -0400 EDT"
    );
    assert!(eval_bool("time.is_valid_timezone(\"America/New_York\")"));
    assert!(eval_bool("time.is_valid_timezone(\"UTC\")"));
    assert!(eval_bool("time.is_valid_timezone(\"\")"));
    assert!(eval_bool("time.is_valid_timezone(\"Local\")"));
    assert!(eval_bool(
        "not time.is_valid_timezone(\"america/new_york\")"
    ));
    assert!(eval_bool("not time.is_valid_timezone(\"Nowhere/City\")"));
    assert!(eval_bool("not time.is_valid_timezone(\"../etc/passwd\")"));
    let e = err("time.from_timestamp(0).in_location(\"Nowhere/City\")");
    assert!(e.contains("unknown time zone Nowhere/City"), "{e}");
    let e = err("time.from_timestamp(0).in_location(\"/etc/x\")");
    assert!(e.contains("time: invalid location name"), "{e}");
}

#[test]
fn time_arithmetic_and_comparison() {
    let t = "t = time.from_timestamp(1000)\n";
    assert_eq!(ok(&format!("{t}str(t - t)")), "0s");
    assert!(eval_bool(&format!(
        "{t}t - t == time.parse_duration(\"0s\")"
    )));
    assert_eq!(ok(&format!("{t}(t + time.minute).unix")), "1060");
    assert_eq!(ok(&format!("{t}(time.minute + t).unix")), "1060");
    assert_eq!(ok(&format!("{t}(t - time.minute).unix")), "940");
    // starlark-go's Time.Binary ignores the operand side: d - t is t - d.
    assert_eq!(ok(&format!("{t}(time.minute - t).unix")), "940");
    assert_eq!(ok(&format!("{t}str((t + time.hour) - t)")), "1h0m0s");
    assert_eq!(ok(&format!("{t}str(t - (t + time.hour))")), "-1h0m0s");
    assert_eq!(ok(&format!("{t}type(t - t)")), "time.duration");
    assert!(eval_bool(&format!("{t}t < t + time.nanosecond")));
    assert!(eval_bool(&format!("{t}t >= t")));
    assert!(eval_bool(&format!("{t}t == t.in_location(\"Asia/Tokyo\")")));
    assert!(eval_bool(&format!(
        "{t}{{t: 1}}[t.in_location(\"Asia/Tokyo\")] == 1"
    )));
    assert!(eval_bool(&format!("{t}t != 1000")));
    err(&format!("{t}t < 1000"));
    err(&format!("{t}t + t"));
    err(&format!("{t}t * 2"));
    assert!(eval_bool("bool(time.from_timestamp(0))"));
    assert!(eval_bool("not time.parse_time(\"0001-01-01T00:00:00Z\")"));
    // Far apart: Go's Sub saturates.
    assert_eq!(
        ok(
            "str(time.parse_time(\"9999-01-01T00:00:00Z\") - time.parse_time(\"0001-01-01T00:00:00Z\"))"
        ),
        "2562047h47m16.854775807s"
    );
}

#[test]
fn format_speaks_go_layouts() {
    let t = "t = time.parse_time(\"2006-01-02T15:04:05.123456789-07:00\")\n";
    for (layout, expected) in [
        ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05-07:00"),
        (
            "2006-01-02T15:04:05.999999999Z07:00",
            "2006-01-02T15:04:05.123456789-07:00",
        ),
        ("Mon Jan _2 15:04:05 2006", "Mon Jan  2 15:04:05 2006"),
        (
            "Mon Jan _2 15:04:05 MST 2006",
            "Mon Jan  2 15:04:05 -0700 2006",
        ),
        (
            "Monday, 02-Jan-06 15:04:05 MST",
            "Monday, 02-Jan-06 15:04:05 -0700",
        ),
        ("January 2, 2006 3:04pm", "January 2, 2006 3:04pm"),
        ("3:04PM", "3:04PM"),
        ("15:04:05.000", "15:04:05.123"),
        ("15:04:05,000000", "15:04:05,123456"),
        ("15:04:05.99", "15:04:05.12"),
        ("002 __2", "002   2"),
        (
            "-0700 -07:00 -07 -070000 -07:00:00",
            "-0700 -07:00 -07 -070000 -07:00:00",
        ),
        ("Z0700 Z07:00 Z07", "-0700 -07:00 -07"),
        ("1/2/06", "1/2/06"),
        ("_2006", "_2006"),
        ("Janet Monk", "Janet Monk"),
        ("no elements here!", "no elements here!"),
    ] {
        assert_eq!(
            ok(&format!("{t}t.format(\"{layout}\")")),
            expected,
            "{layout}"
        );
    }
    let u = "u = time.parse_time(\"2021-03-04T05:06:07Z\")\n";
    assert_eq!(ok(&format!("{u}u.format(\"Z07:00 MST\")")), "Z UTC");
    assert_eq!(
        ok(&format!("{u}u.format(\"2006-01-02T15:04:05.999Z07:00\")")),
        "2021-03-04T05:06:07Z"
    );
    assert_eq!(
        ok(&format!("{u}u.format(\"2006-01-02T15:04:05.000Z07:00\")")),
        "2021-03-04T05:06:07.000Z"
    );
    assert_eq!(
        ok(&format!(
            "{u}u.format(\"Mon Monday Jan January 03 3 PM pm\")"
        )),
        "Thu Thursday Mar March 05 5 AM am"
    );
    assert_eq!(ok(&format!("{u}u.format(\"002\")")), "063");
    // A fixed zone without a name prints its offset for MST.
    assert_eq!(
        ok("str(time.parse_time(\"2021-03-04T05:06:07+05:30\"))"),
        "2021-03-04 05:06:07 +0530 +0530"
    );
    assert_eq!(
        ok("str(time.parse_time(\"2021-03-04T05:06:07+00:00\"))"),
        "2021-03-04 05:06:07 +0000 UTC"
    );
    assert_eq!(
        ok(
            "time.time(year = 2021, month = 1, day = 1, location = \"Asia/Kolkata\").format(\"MST -07:00:00\")"
        ),
        "IST +05:30:00"
    );
}

#[test]
fn parse_time_round_trips_and_reports_like_go() {
    for (layout, value) in [
        ("2006-01-02T15:04:05Z07:00", "2021-03-22T23:20:50Z"),
        (
            "2006-01-02T15:04:05.999999999Z07:00",
            "2021-03-22T23:20:50.52+01:00",
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",
            "Tue, 10 Nov 2009 23:00:00 -0800",
        ),
        ("Jan _2 15:04:05.000000", "Feb  3 04:05:06.123456"),
        ("3:04PM", "11:30AM"),
        ("2006-01-02 15:04", "2024-02-29 12:00"),
        ("02/01/2006", "31/12/1999"),
        ("Monday January 2 2006", "Friday March 1 2024"),
    ] {
        assert_eq!(
            ok(&format!(
                "time.parse_time(\"{value}\", format = \"{layout}\").format(\"{layout}\")"
            )),
            value,
            "{layout}"
        );
    }
    // A fractional second in the value is accepted after seconds even without one in the
    // layout; weekday names are checked but ignored.
    assert_eq!(
        ok("str(time.parse_time(\"2021-03-22T23:20:50.5Z\"))"),
        "2021-03-22 23:20:50.5 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.parse_time(\"Sun 2021-03-22\", \"Mon 2006-01-02\"))"),
        "2021-03-22 00:00:00 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.parse_time(\"3:04pm\", format = \"3:04pm\"))"),
        "0000-01-01 15:04:00 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.parse_time(\"12:00AM\", format = \"3:04PM\"))"),
        "0000-01-01 00:00:00 +0000 UTC"
    );
    assert_eq!(
        ok(
            "str(time.parse_time(\"70\", format = \"06\")) + \" \" + str(time.parse_time(\"68\", format = \"06\"))"
        ),
        "1970-01-01 00:00:00 +0000 UTC 2068-01-01 00:00:00 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.parse_time(\"2020 060\", format = \"2006 002\"))"),
        "2020-02-29 00:00:00 +0000 UTC"
    );
    assert_eq!(
        ok("str(time.parse_time(\"10 Nov 09 23:00 PST\", format = \"02 Jan 06 15:04 MST\"))"),
        "2009-11-10 23:00:00 +0000 PST"
    );
    assert_eq!(
        ok(
            "str(time.parse_time(\"10 Nov 09 23:00 EST\", format = \"02 Jan 06 15:04 MST\", location = \"America/New_York\"))"
        ),
        "2009-11-10 23:00:00 -0500 EST"
    );
    assert_eq!(
        ok("str(time.parse_time(\"10 Nov 09 23:00 GMT+3\", format = \"02 Jan 06 15:04 MST\"))"),
        "2009-11-11 02:00:00 +0300 GMT+3"
    );

    for (code, message) in [
        (
            "time.parse_time(\"x\")",
            "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\"",
        ),
        (
            "time.parse_time(\"2021-03-22\")",
            "parsing time \"2021-03-22\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"",
        ),
        (
            "time.parse_time(\"2021-13-22T00:00:00Z\")",
            "parsing time \"2021-13-22T00:00:00Z\": month out of range",
        ),
        (
            "time.parse_time(\"2021-02-30T00:00:00Z\")",
            "parsing time \"2021-02-30T00:00:00Z\": day out of range",
        ),
        (
            "time.parse_time(\"2021-02-03T24:00:00Z\")",
            "parsing time \"2021-02-03T24:00:00Z\": hour out of range",
        ),
        (
            "time.parse_time(\"2021-02-03T00:00:00Zjunk\")",
            "parsing time \"2021-02-03T00:00:00Zjunk\": extra text: \"junk\"",
        ),
        (
            "time.parse_time(\"2021-02-03T00:00:00+0100\")",
            "parsing time \"2021-02-03T00:00:00+0100\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\"",
        ),
        (
            "time.parse_time(\"Foo 1\", format = \"Jan 2\")",
            "parsing time \"Foo 1\" as \"Jan 2\": cannot parse \"Foo 1\" as \"Jan\"",
        ),
        (
            "time.parse_time(\"2020 367\", format = \"2006 002\")",
            "parsing time \"2020 367\": day-of-year out of range",
        ),
        (
            "time.parse_time(\"2021-01-01T00:00:00Z\", location = \"Nowhere/City\")",
            "unknown time zone Nowhere/City",
        ),
    ] {
        let e = err(code);
        assert!(e.contains(message), "{code}: {e}");
    }
}

#[test]
fn now_is_disabled_and_the_module_lists_its_members() {
    let e = err("time.now()");
    assert!(e.contains("plan.run_python"), "{e}");
    assert_eq!(
        ok("dir(time)"),
        "[\"from_timestamp\", \"hour\", \"is_valid_timezone\", \"microsecond\", \"millisecond\", \"minute\", \"nanosecond\", \"now\", \"parse_duration\", \"parse_time\", \"second\", \"time\"]"
    );
    assert_eq!(ok("type(time.hour)"), "time.duration");
}

#[test]
fn json_encoding_matches_starlark_go() {
    assert_eq!(
        ok("json.encode(time.second)"),
        "{\"hours\":0.0002777777777777778,\"microseconds\":1000000,\"milliseconds\":1000,\"minutes\":0.016666666666666666,\"nanoseconds\":1000000000,\"seconds\":1}"
    );
    assert_eq!(
        ok("json.encode([time.hour])"),
        "[{\"hours\":1,\"microseconds\":3600000000,\"milliseconds\":3600000,\"minutes\":60,\"nanoseconds\":3600000000000,\"seconds\":3600}]"
    );
    let e = err("json.encode(time.from_timestamp(0))");
    assert!(
        e.contains(
            "json.encode: in field .format: cannot encode builtin_function_or_method as JSON"
        ),
        "{e}"
    );
}

#[test]
fn rust_helpers_recognise_the_values() {
    Module::with_temp_heap(|module| {
        let heap = module.heap();
        let d = heap.alloc(super::Duration(90_000_000_000));
        assert_eq!(super::as_duration(d), Some(90_000_000_000));
        assert_eq!(super::as_time(d), None);
        let t = heap.alloc(super::TimeValue::from_unix(5, 7));
        assert_eq!(super::as_time(t), Some((5, 7)));
        assert_eq!(super::as_duration(t), None);
        assert_eq!(super::format_duration(90_000_000_000), "1m30s");
    });
}

#[test]
fn only_real_zone_names_are_valid() {
    assert!(eval_bool("not time.is_valid_timezone(\"Etc/Unknown\")"));
    assert!(eval_bool("not time.is_valid_timezone(\"America\")"));
    assert!(eval_bool("time.is_valid_timezone(\"Etc/UTC\")"));
    assert_eq!(
        ok("str(time.from_timestamp(0).in_location(\"Etc/UTC\"))"),
        "1970-01-01 00:00:00 +0000 UTC"
    );
}
