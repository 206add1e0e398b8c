@probe
Feature: Capabilities and the Twilio-side probe
  `channels capabilities --channel sms`; `channels status --channel sms
  --probe --json` checks the number's (or service's) inbound webhook against
  publicWebhookUrl and turns a recent 11200 into an error with a hint.
  Specification: docs/specification.md#capabilities-and-the-probe

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "pairing"

  @guide
  Scenario: Capabilities of the SMS channel
    Given the gateway is running
    When the operator asks for the channel's capabilities
    Then the command succeeds

  @guide
  Scenario Outline: The probe says how the number's webhook compares with publicWebhookUrl
    Given the Twilio number's webhook is "<url>" with method <method>
    And the gateway is running
    When the operator runs the status probe
    Then the probe reports the webhook as "<state>" and ok <ok>

    Examples:
      | url                   | method | state           | ok    |
      | <public url>          | POST   | matches         | true  |
      | <public url>/other    | POST   | url-mismatch    | false |
      | <public url>          | GET    | method-mismatch | false |
      | <public url>/other    | GET    | method-mismatch | false |
      |                       | POST   | missing         | false |

  @observed
  Scenario Outline: The probe's webhook shows exactly what Twilio has and what was expected
    Given the Twilio number's webhook is "<url>" with method <method>
    And the gateway is running
    When the operator runs the status probe
    Then the probe's webhook is exactly <webhook>

    Examples:
      | id | url | method | webhook |
      | matches | <public url> | POST | {"status": "matches", "phoneNumber": "<number>", "expectedUrl": "<public url>", "configuredUrl": "<public url>", "configuredMethod": "POST", "voiceUrl": ""} |
      | url-mismatch | <public url>/other | POST | {"status": "url-mismatch", "phoneNumber": "<number>", "expectedUrl": "<public url>", "configuredUrl": "<public url>/other", "configuredMethod": "POST"} |
      | missing | | POST | {"status": "missing", "phoneNumber": "<number>", "expectedUrl": "<public url>", "configuredMethod": "POST"} |

  @observed
  Scenario Outline: The probe says in words what is wrong with the number's webhook
    Given the Twilio number's webhook is "<url>" with method <method>
    And the gateway is running
    When the operator runs the status probe
    Then the probe is not ok and mentions "<says>"

    Examples:
      | url                | method | says                                                                     |
      | <public url>/other | POST   | points SMS webhooks at <public url>/other; expected <public url>.       |
      | <public url>       | GET    | uses GET for SMS webhooks; use POST.                                     |
      |                    | POST   | has no SMS webhook URL configured.                                       |

  @observed
  Scenario: The probe says when the configured number is not in the account
    Given the channel's fromNumber is "+15550000000"
    And the gateway is running
    When the operator runs the status probe
    Then the probe reports the webhook as "number-not-found" and ok false

  @observed
  Scenario: The probe checks a Messaging Service's inbound webhook
    Given a Messaging Service "pool" whose sender pool holds the number
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    And the gateway is running
    When the operator runs the status probe
    Then the probe reports the webhook as "messaging-service-matches" and ok true
    And the probe's webhook is exactly {"status": "messaging-service-matches", "serviceSid": "<service pool>", "expectedUrl": "<public url>", "configuredUrl": "<public url>", "configuredMethod": "POST"}

  @observed
  Scenario: The probe flags a Messaging Service whose inbound webhook uses GET
    Given a Messaging Service "pool" whose sender pool holds the number, its inbound webhook called with GET
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    And the gateway is running
    When the operator runs the status probe
    Then the probe reports the webhook as "messaging-service-method-mismatch" and ok false

  @observed
  Scenario: A Messaging Service that leaves inbound webhooks to its numbers cannot be probed
    Given a Messaging Service "pool" that leaves inbound webhooks to its numbers
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    And the gateway is running
    When the operator runs the status probe
    Then the probe reports the webhook as "unavailable" and ok false
    And the probe is not ok and mentions "defers inbound webhooks"

  @guide
  Scenario: A recent 11200 becomes a probe error with a hint
    Given the Twilio number's webhook is "<public url>/not-exposed" with method POST
    And the gateway is running
    When phone "A" texts "hello"
    And the operator runs the status probe
    Then the probe is not ok and mentions "11200"
    And the probe gives a hint mentioning "11200"

  @observed
  Scenario: The probe shows the newest text Twilio received for the number, as Twilio lists it
    Given the gateway is running
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And phone "B" texts "hello"
    And phone "B" gets a pairing reply with an 8-character code
    And the operator runs the status probe
    Then the probe's recent inbound message is that text, as Twilio lists it

  @observed
  Scenario: A delivered status callback shows up as the recent outbound status
    Given the gateway is running
    When phone "A" texts "hello"
    And phone "A" gets a pairing reply with an 8-character code
    And Twilio has reported the reply as delivered to the gateway
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered"
