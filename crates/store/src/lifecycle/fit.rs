//! The fit model as operators inspect it (`partnerops policy fit`): the model applications
//! to a program are scored with right now, trained exactly as on arrival of an application.

use partnerops_core::lifecycle::fit::FitModel;
use partnerops_core::program::Program;
use partnerops_core::scope::Scope;

use crate::{Result, Store, entity, lifecycle::application};

impl Store {
    /// The program's fit model as of the store's clock: its method, why that method, how
    /// many labelled partners it learnt from and its held-out AUC. Writes nothing.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn fit_model_report(&self, scope: &Scope, program_id: &str) -> Result<FitModel> {
        let mut r = self.db.read();
        let _: Program = entity::fetch(&mut r, scope, program_id).await?;
        application::fit_model(&mut r, program_id, self.now().date_naive()).await
    }
}
