// Package awstest creates the queues and topics of integration tests on
// the test server that package testenv names, and reads them back.
//
// Every queue and topic is named with testenv.Name and deleted when the
// test ends, so tests may run in parallel against one server. Like
// testenv, everything here skips the test when no server is configured
// and fails it when MEGA_TEST_REQUIRE=1.
package awstest
