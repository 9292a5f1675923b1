// The screens show the core's records (LabourSheet, CrewPreset, Photo, …) as they are, so importing ForemanCore
// brings the generated types along; the app still calls the core only through FieldRepository.
@_exported import MobileCore
