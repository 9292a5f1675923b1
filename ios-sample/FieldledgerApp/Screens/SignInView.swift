import ForemanCore
import SwiftUI

/// First screen: the server, the device token (from `fieldledger-server token create --project P1 --role foreman`),
/// the project, site and its time zone, and the foreman's name. Settings go to UserDefaults, the token to the
/// Keychain.
struct SignInView: View {
    @EnvironmentObject private var session: AppSession
    @State private var settings = AccountSettings()
    @State private var token = ""

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    TextField("http://127.0.0.1:8080", text: $settings.serverURL)
                        .keyboardType(.URL)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    SecureField("Device token", text: $token)
                        .textInputAutocapitalization(.never)
                } header: {
                    Text("Server")
                } footer: {
                    Text("The simulator reaches a server on this Mac at 127.0.0.1; a phone needs the Mac's address on the LAN.")
                }

                Section("Site") {
                    TextField("Project ID, e.g. P1", text: $settings.projectId)
                        .textInputAutocapitalization(.never)
                    TextField("Site ID, e.g. S1", text: $settings.siteId)
                        .textInputAutocapitalization(.never)
                    TextField("Site name (optional)", text: $settings.siteName)
                    TextField("Time zone, e.g. Asia/Shanghai", text: $settings.timeZone)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    if TimeZone(identifier: settings.timeZone) == nil {
                        FieldError("Not a time zone the phone knows (use an IANA name such as Asia/Shanghai).")
                    }
                }

                Section("You") {
                    TextField("Your name, e.g. 王工长", text: $settings.author)
                }

                Section {
                    if let error = session.error {
                        Text(error).foregroundStyle(.red)
                    }
                    Button {
                        Task { await session.signIn(settings, token: token) }
                    } label: {
                        if session.opening { ProgressView() } else { Text("Sign in") }
                    }
                    .disabled(session.opening || !settings.isComplete || token.isEmpty)
                }
            }
            .navigationTitle("Fieldledger")
            .onAppear { settings = session.settings }
        }
    }
}

/// While signed in: a new server address or token (after the server refused the old one). The store stays as it is.
struct ServerSettingsView: View {
    @EnvironmentObject private var session: AppSession
    @Environment(\.dismiss) private var dismiss
    @State private var serverURL = ""
    @State private var token = ""
    @State private var error: String?

    var body: some View {
        Form {
            TextField("Server", text: $serverURL)
                .keyboardType(.URL)
                .textInputAutocapitalization(.never)
                .autocorrectionDisabled()
            SecureField("New device token", text: $token)
                .textInputAutocapitalization(.never)
            if let error {
                Text(error).foregroundStyle(.red)
            }
        }
        .navigationTitle("Server")
        .toolbar {
            ToolbarItem(placement: .cancellationAction) {
                Button("Cancel") { dismiss() }
            }
            ToolbarItem(placement: .confirmationAction) {
                Button("Save") {
                    do {
                        try session.updateServer(baseURL: serverURL, token: token)
                        dismiss()
                    } catch {
                        self.error = "Could not keep the token: \(error)"
                    }
                }
                .disabled(serverURL.isEmpty || token.trimmingCharacters(in: .whitespaces).isEmpty)
            }
        }
        .onAppear {
            serverURL = session.settings.serverURL
            token = session.ready?.account.token ?? ""
        }
    }
}
