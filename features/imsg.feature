@imsg
Feature: End to end from a Mac with imsg
  On a Mac that can send carrier SMS through Messages, `imsg send --to ...
  --service sms --text ... --json` plays the phone against a real Twilio
  number: the first message creates a pairing request; after approval,
  "reply exactly SMS pong" gets the agent's reply.
  Specification: docs/specification.md#end-to-end-with-imsg

  @guide @real_twilio
  Scenario: Pairing and a reply through real Twilio, driven by imsg
    Given the imsg sender can reach a real Twilio number
    When the Mac texts "OpenClaw SMS E2E" to the Twilio number
    Then "pairing list sms" shows a new request
    When the operator approves the newest request
    And the Mac texts "reply exactly SMS pong" to the Twilio number
    Then the gateway sent "SMS pong" back through Twilio
