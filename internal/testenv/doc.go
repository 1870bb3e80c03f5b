// Package testenv connects integration tests to an SQS/SNS-compatible
// server (moto, LocalStack, ElasticMQ) named by the environment.
//
// Integration tests call [Endpoint] (or [AWSConfig]) first. When
// MEGA_TEST_ENDPOINT is unset the test is skipped with a message that says
// how to run it, unless MEGA_TEST_REQUIRE=1, in which case it fails: CI
// runs the tests through scripts/with-moto, which sets both, so a missing
// server never passes silently.
//
// Packages run in parallel against one server, so tests never reset it:
// each test creates its own queues and topics under a [Name] that no other
// test, package or run uses.
package testenv
