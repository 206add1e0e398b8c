@webhook
Feature: The webhook endpoint
  POST <webhookPath> (default /webhooks/sms); other methods 405, bodies over
  32 KiB 413, no message id 400. Which forms are dispatched: inbound_forms.feature.
  Specification: docs/specification.md#the-webhook-endpoint

  Background:
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running

  @observed
  Scenario Outline: Only POST is accepted
    When a signed inbound form from phone "A" is sent to the webhook with method <method>
    Then the gateway answers 405 with body "Method not allowed" as XML

    Examples:
      | method |
      | GET    |
      | PUT    |

  @observed
  Scenario: A body over 32 KiB is refused with 413
    When a signed inbound form from phone "A" padded past 32 KiB is posted to the webhook
    Then the gateway answers 413 with body "Payload too large" as XML

  @observed
  Scenario: A form without any message id is refused with 400
    When a signed inbound form from phone "A" without MessageSid, SmsSid or SmsMessageSid is posted to the webhook
    Then the gateway answers 400 with body "Missing MessageSid" as XML
    And no agent turn has run

  @observed
  Scenario: SmsSid alone is enough as the message id
    When a signed inbound form from phone "A" with only SmsSid saying "reply exactly smssid" is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>" as XML
    And the answer carries the header "x-openclaw-delivery-accepted: durable"
    And phone "A" gets the reply "smssid"

  @guide
  Scenario: A custom webhookPath is served and the default path is not
    Given a Twilio account "custom" with an SMS number on path "/hooks/text"
    And the SMS channel is configured as in the guide for account "custom" with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running
    When phone "A" texts account "custom" "reply exactly custom path"
    Then phone "A" gets the reply "custom path"
    And a signed inbound form from phone "A" sent to "/webhooks/sms" gets 404

  @guide
  Scenario Outline: Twilio logs 11200 when it cannot reach the webhook
    Given the Twilio number's webhook is "<url>" with method <method>
    When phone "A" texts "reply exactly unreachable"
    Then Twilio logs error 11200 on the inbound message
    And phone "A" gets no reply

    Examples: wrong path, wrong method
      | url                          | method |
      | <public url>/wrong           | POST   |
      | <public url>                 | GET    |

  @guide
  Scenario: Twilio logs an error when the tunnel does not reach the gateway at all
    Given the tunnel to the gateway is down
    When phone "A" texts "reply exactly nobody home"
    Then Twilio logs error 11205 on the inbound message

  @observed
  Scenario: A reply in flight when the gateway stops is not lost: the phone gets it once
    Given the agent takes 3 seconds to answer
    When phone "A" texts "reply exactly sent on the way out"
    And the agent has begun its answer
    And the gateway is stopped
    And the gateway is started again
    Then phone "A" gets the reply "sent on the way out"
    And phone "A" gets "sent on the way out" only once
