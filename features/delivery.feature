@delivery
Feature: Replays, status callbacks and rate limits
  A replayed MessageSid gets 200 but is not dispatched again; a form with
  MessageStatus is a delivery status callback, accepted only from the
  account's AccountSid and once; rate limits answer 429.
  Specification: docs/specification.md#replays-status-callbacks-and-rate-limits

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
  Scenario: A MessageSid is remembered for a day: replayed 23 h 59 min later, it is not dispatched again
    Given the gateway is running
    When phone "A" sends the signed message "reply exactly once a day"
    Then phone "A" gets the reply "once a day"
    When 1439 minutes pass on the gateway's clock
    And the first of those messages is posted again
    Then the gateway answers 200 with body "<Response></Response>" as XML
    And phone "A" gets nothing more

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

  @observed @status_callbacks
  Scenario: Status callbacks out of order leave the message at its furthest status
    Given the gateway is running
    And Twilio will send the next message's status callbacks in reverse order
    When phone "A" texts "reply exactly shuffled"
    Then phone "A" gets the reply "shuffled"
    When Twilio has reported the reply as "sent" to the gateway
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered"

  @observed @status_callbacks
  Scenario: Two different final statuses leave a message conflicted for good, with the error code that made it so
    Given the gateway is running
    When phone "A" texts "reply exactly twice final"
    And Twilio has reported the reply as "delivered" to the gateway
    And a signed status callback "failed" with error 30003 for the reply to phone "A" is posted to the webhook
    Then the gateway answers 200 with body "<Response></Response>" as XML
    When the operator runs the status probe
    Then the probe's recent outbound status is "conflicted" with error 30003
    When a signed status callback "undelivered" with error 30005 for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "conflicted" with error 30003

  @observed @status_callbacks
  Scenario: A status reported again keeps the first error code it was given
    Given the gateway is running
    When phone "A" texts "reply exactly reported again"
    And Twilio has reported the reply as "delivered" to the gateway
    And a signed status callback "delivered" with error 30003 for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered" with error 30003
    When a signed status callback "delivered" with error 30005 for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered" with error 30003

  @observed @status_callbacks
  Scenario: A status that is not final only moves forward: queued, sending, sent, and queued after them changes nothing
    Given the channel's publicWebhookUrl is "http://127.0.0.1:9/webhooks/sms"
    And the channel's dangerouslyDisableSignatureValidation is true
    And the gateway is running
    When an unsigned inbound form from phone "A" saying "reply exactly forward only" is posted to the webhook
    Then phone "A" gets the reply "forward only"
    When the operator runs the status probe
    Then the probe's recent outbound status is "queued"
    When a signed status callback "sending" for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "sending"
    When a signed status callback "sent" for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "sent"
    When a signed status callback "queued" for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "sent"

  @observed @status_callbacks
  Scenario: A message's delivery record is kept 30 days after its last status, then forgotten
    Given the gateway is running
    When phone "A" texts "reply exactly kept a month"
    And Twilio has reported the reply as "delivered" to the gateway
    And 43199 minutes pass on the gateway's clock
    And a signed status callback "failed" with error 30003 for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "conflicted" with error 30003
    When 2 minutes pass on the gateway's clock
    And the operator runs the status probe
    Then the probe's recent outbound status is "conflicted" with error 30003
    When 43199 minutes pass on the gateway's clock
    And the operator runs the status probe
    Then the probe shows no recent outbound status
    When a signed status callback "delivered" for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered"

  @observed @status_callbacks
  Scenario: The same status callback posted again later does not restart its record's 30 days
    Given the gateway is running
    When phone "A" texts "reply exactly said once"
    And a signed status callback "delivered" for the reply to phone "A" is posted to the webhook
    And 43000 minutes pass on the gateway's clock
    And a signed status callback "delivered" for the reply to phone "A" is posted to the webhook
    And the operator runs the status probe
    Then the probe's recent outbound status is "delivered"
    When 201 minutes pass on the gateway's clock
    And the operator runs the status probe
    Then the probe shows no recent outbound status

  @observed
  Scenario: One sender past the per-sender limit gets 429
    Given the channel's dmPolicy is "disabled" with allowFrom []
    And the gateway is running with the account on a webhook path of its own
    When phone "A" sends one more signed message than the per-sender limit allows
    Then the last answer is 429 with body "Rate limit exceeded"

  @observed
  Scenario: The per-sender limit is checked before replays and message ids
    Given the channel's dmPolicy is "disabled" with allowFrom []
    And the gateway is running with the account on a webhook path of its own
    When phone "A" sends one more signed message than the per-sender limit allows
    And the first of those messages is posted again
    Then the gateway answers 429 with body "Rate limit exceeded" as XML
    When a signed inbound form from phone "A" without MessageSid, SmsSid or SmsMessageSid is posted to the webhook
    Then the gateway answers 429 with body "Rate limit exceeded" as XML

  @observed
  Scenario: With signature validation off, the per-sender limit counts per client
    Given the channel's dangerouslyDisableSignatureValidation is true
    And the channel's dmPolicy is "disabled" with allowFrom []
    And the gateway is running with the account on a webhook path of its own
    When one more unsigned message than the per-sender limit allows comes from as many different phones
    Then the last answer is 429 with body "Rate limit exceeded"

  @observed @rate_limits
  Scenario: Too many invalid signatures from one client get 429
    Given the gateway is running with the account on a webhook path of its own
    When one more badly signed request than the invalid-request limit allows is posted
    Then the last answer is 429 with body "Rate limit exceeded"

  @observed @rate_limits
  Scenario: Valid requests count toward the invalid-request limit too
    Given the gateway is running with the account on a webhook path of its own
    When as many signed status callbacks as the invalid-request limit allows are posted
    And a badly signed inbound form from phone "A" is posted to the webhook
    Then the gateway answers 429 with body "Rate limit exceeded" as XML

  @observed @rate_limits
  Scenario: Delivery callbacks past their limit get 503
    Given the gateway is running with the account on a webhook path of its own
    When one more signed status callback than the delivery-callback limit allows is posted
    Then the gateway answers 503 with body "Service unavailable" as XML

  @observed @rate_limits
  Scenario: One sender gets exactly 30 messages a minute through, and 30 more once the minute is over
    Given the channel's dmPolicy is "disabled" with allowFrom []
    And the gateway is running with the account on a webhook path of its own
    When phone "A" sends 31 signed messages
    Then the first 30 were answered 200 with body "<Response></Response>", the last 429 with body "Rate limit exceeded"
    When 1 minute passes on the gateway's clock
    And phone "A" sends 31 signed messages
    Then the first 30 were answered 200 with body "<Response></Response>", the last 429 with body "Rate limit exceeded"

  @observed @rate_limits
  Scenario: One account's webhook path takes exactly 300 signed messages a minute, from any number of senders
    Given the channel's dmPolicy is "disabled" with allowFrom []
    And the gateway is running with the account on a webhook path of its own
    When 10 phones send 30 signed messages each
    Then all 300 were answered 200 with body "<Response></Response>"
    When phone "A" sends 1 signed message
    Then the last answer is 429 with body "Rate limit exceeded"

  @observed @rate_limits
  Scenario: One client gets exactly 300 requests a minute with a bad signature answered before 429
    Given the gateway is running with the account on a webhook path of its own
    When 301 badly signed requests are posted
    Then the first 300 were answered 403 with body "Invalid signature", the last 429 with body "Rate limit exceeded"

  @observed @rate_limits
  Scenario: One account's webhook path takes exactly 3000 status callbacks a minute
    Given the gateway is running with the account on a webhook path of its own
    When 3001 signed status callbacks from the account are posted
    Then the first 3000 were answered 200 with body "<Response></Response>", the last 503 with body "Service unavailable"

  @observed @rate_limits
  Scenario: The per-sender limit keeps 5000 senders: one more, and the sender heard from longest ago starts again
    Given a Twilio account "heard" with an SMS number on path "/webhooks/sms/senders-heard"
    And a Twilio account "crowd" with an SMS number on path "/webhooks/sms/senders-crowd"
    And the SMS channel has accounts "heard" and "crowd" with dmPolicy "disabled" and allowFrom []
    And the gateway is running
    When phone "A" sends 30 signed messages to account "heard"
    And phone "B" sends 30 signed messages to account "heard"
    And 4999 other phones send a signed message each to account "crowd"
    And phone "B" sends 1 signed message to account "heard"
    Then the last answer is 429 with body "Rate limit exceeded"
    When phone "A" sends 1 signed message to account "heard"
    Then the last answer is 200 with body "<Response></Response>"
