@outbound
Feature: Sending SMS from the CLI and from automation
  `message send --channel sms --target sms:+1…`; with implicit channel
  selection `twilio-sms:+1…` selects this channel (plain sms: is iMessage's).
  The CLI always needs --target; defaultTo serves automation and agent sends.
  Specification: docs/specification.md#sending-from-the-cli-and-automation

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running

  @guide
  Scenario: --channel sms with an sms: target
    When the operator sends "OpenClaw SMS test" with --channel sms to "sms:<phone A>"
    Then the command succeeds
    And phone "A" gets the reply "OpenClaw SMS test"
    And every message to phone "A" was sent from the number with the account's credentials

  @observed
  Scenario Outline: The target's spelling is normalised, as allowFrom's is
    When the operator sends "<id>" with --channel sms to "<target>"
    Then the command succeeds
    And phone "A" gets the messages ["<id>"]

    Examples:
      | id | target |
      | digits only | <phone A digits> |
      | dashed with brackets | <phone A dashed> |
      | twilio-sms prefix with channel | twilio-sms:<phone A> |
      | space after the prefix | sms: <phone A> |

  @observed
  Scenario Outline: A target that only looks like a prefixed number is refused, and nothing is sent
    When the operator sends "<id>" with --channel sms to "<target>"
    Then the command fails
    And no Messages.json request was made

    Examples:
      | id | target |
      | long s in the prefix | ſms:<phone A> |
      | prefix twice | sms:sms:<phone A> |
      | sms then twilio-sms | sms:twilio-sms:<phone A> |
      | twilio-sms then sms | twilio-sms:sms:<phone A> |
      | the sms prefix alone | sms: |
      | the twilio-sms prefix alone | twilio-sms: |

  @observed
  Scenario: A send Twilio answers with an HTML error page fails, naming the HTTP status
    Given Twilio answers the gateway's sends with 503 and an HTML error page
    When the operator sends "hello" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "503"
    And phone "A" gets no reply

  @observed
  Scenario: A send whose second chunk Twilio refuses fails naming Twilio's error, after the first went out
    Given the channel's textChunkLimit is 20
    And Twilio refuses every Messages.json request whose Body holds "second" with 400
    When the operator sends "first part here. second part here." with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "Attempt to send to unsubscribed recipient"
    And phone "A" gets the messages ["first part here."]

  @observed
  Scenario: A send Twilio answers with 300, just past success, fails naming the status
    Given Twilio answers the gateway's sends with 300 instead of 201
    When the operator sends "answered 300" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "300"

  @observed
  Scenario: A send the channel cuts in two, past 1600 characters, whose second message Twilio refuses fails naming Twilio's error
    Given the channel's textChunkLimit is 2000
    And Twilio refuses every Messages.json request whose Body holds "second" with 400
    When the operator sends a 1700-character message that ends with "second part" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "Attempt to send to unsubscribed recipient"
    And the gateway made 2 Messages.json requests to phone "A"

  @observed
  Scenario Outline: A send Twilio answers with another success status than 201 is sent
    Given Twilio answers the gateway's sends with <status> instead of 201
    When the operator sends "answered <status>" with --channel sms to "sms:<phone A>"
    Then the command succeeds
    And phone "A" gets the messages ["answered <status>"]

    Examples:
      | status |
      | 200    |
      | 202    |

  @observed
  Scenario: message send sends plain text, as replies are
    When the operator sends "**Opening** hours: see [the site](https://example.com)" with --channel sms to "sms:<phone A>"
    Then the command succeeds
    And phone "A" gets the messages ["Opening hours: see the site (https://example.com)"]

  @guide
  Scenario: A twilio-sms: target selects the channel without --channel
    When the operator sends "hello" without --channel to "twilio-sms:<phone A>"
    Then the command succeeds
    And phone "A" gets the reply "hello"

  @guide
  Scenario: A plain sms: target without --channel does not go through this channel
    When the operator sends "hello" without --channel to "sms:<phone A>"
    Then the command fails
    And phone "A" gets no reply

  @guide
  Scenario: The CLI needs an explicit target, even with defaultTo
    Given the channel's defaultTo is "<phone B>"
    When the operator sends "hello" with --channel sms and no target
    Then the command fails
    And phone "B" gets no reply

  @guide
  Scenario: Automation sends without a target go to defaultTo
    Given the channel's defaultTo is "<phone B>"
    When an automation delivers "reply exactly scheduled digest" without a target
    Then the command succeeds
    And phone "B" gets the reply "scheduled digest"

  @observed
  Scenario Outline: An automation delivery to a target goes there, and to the prefix alone goes to defaultTo
    Given the channel's defaultTo is "<phone B>"
    When an automation delivers "reply exactly <id>" to "<target>"
    Then the command succeeds
    And phone "<who>" gets the reply "<id>"

    Examples:
      | id | target | who |
      | to phone A | sms:<phone A> | A |
      | to the prefix alone | sms: | B |

  @observed
  Scenario: Automation sends without a target and without defaultTo deliver nothing
    When an automation delivers "reply exactly lost" without a target
    Then the command succeeds
    And no Messages.json request was made

  @guide
  Scenario: A trial account can only send to verified numbers
    Given a Twilio trial account "trial" with an SMS number that has verified phone "B"
    And the SMS channel is configured as in the guide for account "trial" with dmPolicy "pairing"
    When the operator sends "to a stranger" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "unverified"
    When the operator sends "to a friend" with --channel sms to "sms:<phone B>"
    Then the command succeeds

  @guide
  Scenario: Unresolved credentials make sends fail clearly
    Given the channel has no authToken
    When the operator sends "hello" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "auth"

  @observed
  Scenario: A message over 1600 characters is sent in chunks of textChunkLimit
    When the operator sends a 1601-character message with --channel sms to "sms:<phone A>"
    Then the command succeeds
    And phone "A" gets messages of 1500 and 101 characters, in order

  @observed
  Scenario: After the recipient texts STOP, sends fail (Twilio error 21610)
    Given the channel's dmPolicy is "open" with allowFrom ["*"]
    When phone "A" texts "STOP"
    And the operator sends "are you there?" with --channel sms to "sms:<phone A>"
    Then the command fails mentioning "unsubscribed"
