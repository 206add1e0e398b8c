@allowlist
Feature: Allowlist, open and disabled access
  allowlist: only numbers in allowFrom (E.164; an sms: prefix is accepted and
  normalised). open: needs "*". disabled: nobody.
  Specification: docs/specification.md#allowlist-open-and-disabled

  Background:
    Given a Twilio account with an SMS number

  @guide
  Scenario Outline: allowFrom entries are E.164, with or without the sms: prefix
    Given the SMS channel is configured as in the guide with dmPolicy "allowlist"
    And the channel's allowFrom is ["<entry>"]
    And the gateway is running
    When phone "A" texts "reply exactly allowed in"
    Then phone "A" gets the reply "allowed in"

    Examples:
      | entry            |
      | <phone A>        |
      | sms:<phone A>    |

  @observed
  Scenario Outline: Other spellings of a number in allowFrom are normalised, not refused
    Given the SMS channel is configured as in the guide with dmPolicy "allowlist"
    And the channel's allowFrom is [<entry>]
    And the gateway is running
    When phone "A" texts "reply exactly <id>"
    Then phone "A" gets the reply "<id>"

    Examples:
      | id | entry |
      | without plus | "<phone A digits>" |
      | dashed with brackets | "<phone A dashed>" |
      | upper-case prefix | "SMS:<phone A>" |
      | twilio-sms prefix | "twilio-sms:<phone A>" |
      | spaces around | "  <phone A>  " |

  @observed
  Scenario Outline: A spelling that normalises to something else matches nobody
    Given the SMS channel is configured as in the guide with dmPolicy "allowlist"
    And the channel's allowFrom is [<entry>]
    And the gateway is running
    When phone "A" texts "reply exactly <id>"
    Then phone "A" gets no reply
    And no agent turn has run

    Examples:
      | id | entry |
      | tel prefix | "tel:<phone A>" |
      | two prefixes | "sms:twilio-sms:<phone A>" |
      | brackets without the country code | "(555) 123-4567" |

  @guide
  Scenario: A number not in allowFrom gets nothing, not even a pairing code
    Given the SMS channel is configured as in the guide with dmPolicy "allowlist"
    And the channel's allowFrom is ["<phone A>"]
    And the gateway is running
    When phone "B" texts "reply exactly let me in"
    Then phone "B" gets no reply
    And no agent turn has run
    And "pairing list sms" does not show phone "B"

  @observed
  Scenario: allowlist with an empty allowFrom rejects everyone and warns
    Given the SMS channel is configured as in the guide with dmPolicy "allowlist"
    And the gateway is running
    When phone "A" texts "reply exactly anyone?"
    Then phone "A" gets no reply
    And the gateway warns about "empty allowFrom"

  @guide
  Scenario: open with "*" lets anyone talk to the agent
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running
    When phone "A" texts "reply exactly open door"
    Then phone "A" gets the reply "open door"

  @guide
  Scenario: open without "*" is accepted with a warning, and does not open the door
    Given the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running
    When the operator applies a patch setting dmPolicy to "open" with allowFrom ["<phone B>"]
    Then the command succeeds, warning 'allowFrom does not include "*"'
    When phone "A" texts "reply exactly open door"
    Then phone "A" gets no reply
    And no agent turn has run

  @observed
  Scenario: pairing without "*" gets neither of open's warnings
    Given the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running
    When the operator applies a patch setting dmPolicy to "pairing" with allowFrom ["<phone B>"]
    Then the command succeeds, not warning 'allowFrom does not include "*"'
    And the command succeeds, not warning 'dmPolicy=open'

  @observed
  Scenario: With dmPolicy "open", an allowFrom entry that starts with a bracket is a number, not "*"
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["(555) 123-4567"]
    And the gateway is running
    When phone "A" texts "reply exactly bracket"
    Then phone "A" gets no reply
    And no agent turn has run

  @observed
  Scenario: open without "*" still lets a listed number in
    Given the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running
    When the operator applies a patch setting dmPolicy to "open" with allowFrom ["<phone A>"]
    And phone "A" texts "reply exactly listed"
    Then phone "A" gets the reply "listed"

  @guide
  Scenario: disabled answers nobody, even a listed number
    Given the SMS channel is configured as in the guide with dmPolicy "disabled"
    And the channel's allowFrom is ["*", "<phone A>"]
    And the gateway is running
    When phone "A" texts "reply exactly hello?"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets no reply
    And no agent turn has run

  @guide @troubleshooting
  Scenario: Under pairing, an unapproved sender's message arrives but gets no agent reply
    Given the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running
    When phone "A" texts "reply exactly are you there"
    Then phone "A" gets a pairing reply with an 8-character code
    And phone "A" gets no reply containing "are you there"
