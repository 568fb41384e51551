// Where the Personae app is. `make extension` rewrites this (and the manifest's matching origins)
// from EXTENSION_API_ORIGIN for another deployment.
export const API_ORIGIN = "https://personae.example";
