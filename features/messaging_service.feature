@messaging_service
Feature: Messaging Service sender and fromNumber precedence
  A Messaging Service (messagingServiceSid) may replace the fixed number;
  when both fromNumber and messagingServiceSid resolve, fromNumber is used.
  Specification: docs/specification.md#messaging-service-sender

  Background:
    Given a Twilio account with an SMS number
    And a Messaging Service "pool" whose sender pool holds the number

  @guide
  Scenario: With only a Messaging Service, replies go out through it
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    And the gateway is running
    When phone "A" texts the Messaging Service "pool" "reply exactly via service"
    Then phone "A" gets the reply "via service"
    And the Messages.json request used MessagingServiceSid "<service pool>" and no From

  @guide
  Scenario: When both resolve, fromNumber is used
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the channel's messagingServiceSid is "<service pool>"
    And the gateway is running
    When phone "A" texts "reply exactly from the number"
    Then phone "A" gets the reply "from the number"
    And the Messages.json request used From "<number>" and no MessagingServiceSid

  @guide
  Scenario: fromNumber from the environment still beats messagingServiceSid in the config
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the channel uses messagingServiceSid "<service pool>" instead of fromNumber
    And the environment has TWILIO_PHONE_NUMBER "<number>"
    And the gateway is running
    When phone "A" texts "reply exactly env number wins"
    Then phone "A" gets the reply "env number wins"
    And the Messages.json request used From "<number>" and no MessagingServiceSid
