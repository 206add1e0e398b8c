@delivery
Feature: Replays, status callbacks and rate limits
  A replayed MessageSid gets 200 but is not dispatched again; a form with
  MessageStatus is a delivery status callback, accepted only from the
  account's AccountSid and once; rate limits answer 429.

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]

  @observed
  Scenario: A replayed MessageSid is answered but not dispatched twice
    Given the gateway is running
    And Twilio will deliver the next inbound message 2 times
    When phone "A" texts "reply exactly only once"
    Then every delivery of it was answered 200
    And phone "A" gets exactly 1 message

  @observed
  Scenario: A status callback from another AccountSid is ignored
    Given the gateway is running
    When a signed status callback "failed" for another AccountSid is posted to the webhook
    Then the gateway answers 200
    And the status probe's recent outbound status is not "failed"

  @observed
  Scenario: A status callback is recorded once
    Given the gateway is running
    When a signed status callback "delivered" from the account is posted to the webhook twice
    Then the gateway answers 200
    And the status probe's recent outbound status is "delivered"

  @observed
  Scenario: Status callbacks arriving out of order do not break anything
    Given the gateway is running
    And Twilio will send the next message's status callbacks in reverse order
    When phone "A" texts "reply exactly shuffled"
    Then phone "A" gets the reply "shuffled"

  @observed @fresh
  Scenario: One sender past the per-sender limit gets 429
    Given the gateway is running fresh
    When phone "A" sends one more signed message than the per-sender limit allows
    Then the last answer is 429 with body "Rate limit exceeded"

  @observed @fresh
  Scenario: Too many invalid signatures from one client get 429
    Given the gateway is running fresh
    When one more badly signed request than the invalid-request limit allows is posted
    Then the last answer is 429 with body "Rate limit exceeded"
