@setup
Feature: Setting up the channel with config patches
  Config lives under channels.sms (JSON5); `config patch --file X.json5
  [--dry-run]` applies a patch, and a dry run changes nothing.
  Specification: docs/specification.md#setup

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running

  @guide
  Scenario: A dry run shows the change and changes nothing
    When the operator applies a patch setting dmPolicy to "disabled" with --dry-run
    Then the command succeeds
    When phone "A" texts "hello"
    Then phone "A" gets a pairing reply with an 8-character code

  @guide
  Scenario: Applying the patch changes the running channel
    When the operator applies a patch setting dmPolicy to "disabled"
    Then the command succeeds
    When phone "A" texts "hello"
    Then phone "A" gets no reply

  @observed
  Scenario: channels add writes the flags it is given into the channel and keeps the rest of it
    When the operator runs channels add --channel sms --dm-policy open --allow-from "*"
    Then the command succeeds
    When phone "A" texts "reply exactly added"
    Then phone "A" gets the reply "added"

  @observed
  Scenario: An invalid patch is refused with one line naming the key, and nothing changes
    When the operator applies a patch setting dmPolicy to "everyone"
    Then the command fails with one line naming "dmPolicy"
    When phone "A" texts "hello"
    Then phone "A" gets a pairing reply with an 8-character code

  @observed
  Scenario Outline: The schema's extra keys are accepted, and an unknown key is refused
    When the operator applies the patch <patch>
    Then the command <outcome>

    Examples:
      | id | patch | outcome |
      | mediaMaxMb | {"channels": {"sms": {"mediaMaxMb": 5}}} | succeeds |
      | configWrites | {"channels": {"sms": {"configWrites": false}}} | succeeds |
      | name | {"channels": {"sms": {"name": "Front desk"}}} | succeeds |
      | unknown key | {"channels": {"sms": {"colour": "blue"}}} | fails mentioning "colour" |
      | SecretRef without a provider | {"channels": {"sms": {"authToken": {"source": "env", "id": "SMS_TEST_TOKEN"}}}} | fails mentioning "provider" |

  @observed
  Scenario: Without a sender the account does not start, and the status says what is required
    Given the channel has no fromNumber
    And the gateway is running
    When the operator checks the channel status
    Then the status shows the account as not configured, naming "fromNumber or messagingServiceSid"
    When phone "A" texts "hello"
    Then Twilio logs error 11200 on the inbound message
    And phone "A" gets no reply

  @observed
  Scenario: Without an authToken the account does not start, and the status says what is required
    Given the channel has no authToken
    And the gateway is running
    When the operator checks the channel status
    Then the status shows the account as not configured, naming "authToken"
    When phone "A" texts "hello"
    Then Twilio logs error 11200 on the inbound message
    And the webhook answers 404 with body "Not Found"
    And phone "A" gets no reply

  @observed
  Scenario: Without publicWebhookUrl, signature validation on, the account does not start
    Given the channel does not set publicWebhookUrl
    And the gateway is running
    Then the gateway warns about "publicWebhookUrl is required"
    When phone "A" texts "hello"
    Then Twilio logs error 11200 on the inbound message
    And the webhook answers 404 with body "Not Found"
    And phone "A" gets no reply
