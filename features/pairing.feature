@pairing
Feature: Pairing (the default dmPolicy)
  A first message from an unknown number creates a pairing request and the
  sender gets a code; the operator lists and approves it; codes expire after
  one hour; no agent turn runs before approval.
  Specification: docs/specification.md#pairing

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running

  @guide
  Scenario: A first message from an unknown number gets a pairing code
    When phone "A" texts "hello"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets a pairing reply with an 8-character code
    And the pairing reply names phone "A" and says "openclaw pairing approve sms <code>"

  @guide
  Scenario: The pairing list shows the request
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    Then "pairing list sms" shows phone "A" with that code

  @guide
  Scenario: Approving the code lets the agent answer
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And the operator approves that code
    Then the approval says "Approved sms sender <phone A>"
    When phone "A" texts "reply exactly SMS pong"
    Then phone "A" gets the reply "SMS pong"

  @observed
  Scenario: Approving with --notify texts the sender that access was approved
    Given the gateway is running
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And the operator approves that code with --notify
    Then the approval says "Approved sms sender <phone A>."
    And phone "A" gets the messages ["OpenClaw: your SMS access has been approved."]

  @guide
  Scenario: No agent turn runs before approval
    When phone "A" texts "reply exactly should not run"
    And phone "A" gets a pairing reply with an 8-character code
    Then no agent turn has run
    And phone "A" gets no reply containing "should not run"

  @guide
  Scenario: Pairing codes expire after one hour
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And 61 minutes pass on the gateway's clock
    Then "pairing list sms" does not show phone "A"
    And approving that code fails

  @guide
  Scenario: A code is still good just before the hour is up
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And 59 minutes pass on the gateway's clock
    And the operator approves that code
    Then the approval says "Approved sms sender <phone A>"

  @observed
  Scenario: A wrong code approves nobody
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    Then approving the code "ZZZZ9999" fails
    And "pairing list sms" shows phone "A" with that code

  @observed
  Scenario: Approving one phone does not let another in
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And phone "B" texts "hello"
    And phone "B" gets a pairing reply with an 8-character code
    And the operator approves the code of phone "A"
    When phone "B" texts "reply exactly B is in"
    Then phone "B" gets no reply containing "B is in"

  @observed
  Scenario: At most three pairing requests wait at once: a fourth sender gets a code once one is approved
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And phone "B" texts "hello"
    And phone "B" gets a pairing reply with an 8-character code
    And phone "C" texts "hello"
    And phone "C" gets a pairing reply with an 8-character code
    And phone "D" texts "hello"
    Then phone "D" gets no pairing code
    And "pairing list sms" does not show phone "D"
    When the operator approves the code of phone "A"
    And phone "D" texts "hello again"
    Then phone "D" gets a pairing reply with an 8-character code
    And "pairing list sms" shows phone "D" with that code

  @observed @pairing_rate_limit
  Scenario: A sender who got a pairing code gets nothing more for ten minutes
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And phone "A" texts "hello again"
    Then phone "A" gets nothing more
    And no agent turn has run
    When 11 minutes pass on the gateway's clock
    And phone "A" texts "still here"
    Then phone "A" gets a pairing reply with an 8-character code

  @observed @pairing_lockout
  Scenario: Five wrong codes lock approvals for an hour, even of a good code
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And the operator tries the code "ZZZZZZZZ" 5 times
    And the operator approves that code
    Then the command fails mentioning "locked out"
    When 61 minutes pass on the gateway's clock
    And phone "A" texts "hello once more"
    And phone "A" gets a pairing reply with an 8-character code
    And the operator approves that code
    Then the approval says "Approved sms sender <phone A>"
